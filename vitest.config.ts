import { readdirSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

/**
 * Each workspace's own vitest.config.ts says what its tests are; this file only says how the whole suite runs them:
 * two groups, one after the other (sequence.groupOrder).
 * - 0: the unit tests of every workspace, two files at a time (one per core: they are short, and a file's start-up,
 *   not its tests, is most of their time);
 * - 1: the gateway's end-to-end and interop tests (gateway/test), one file at a time: they run real peers (baresip,
 *   SIPp, Kamailio, PostgreSQL) and judge audio timing, which a second file on the same 2 cores would disturb. Not
 *   isolated (`isolate: false`): the files run in one worker sharing its module graph, instead of paying a fresh
 *   worker and a fresh import of the gateway (~1.8 s) for each of ~55 files; they start their gateways and peers
 *   per test and keep no module-level state between files (the whole group, 358 tests, passed this way: 473 s).
 */
const adapters = readdirSync(new URL('./adapters', import.meta.url), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => `adapters/${d.name}`);
const unit = (dir: string, include?: string[]) => ({
  extends: `./${dir}/vitest.config.ts`,
  test: { root: `./${dir}`, sequence: { groupOrder: 0 }, maxWorkers: 2, ...(include === undefined ? {} : { include }) },
});

export default defineConfig({
  test: {
    projects: [
      ...['agents', 'observability', 'bench', ...adapters].map((dir) => unit(dir)),
      unit('gateway', ['src/**/*.test.ts']),
      {
        extends: './gateway/vitest.config.ts',
        test: { root: './gateway', name: 'gateway-e2e', include: ['test/**/*.test.ts'], sequence: { groupOrder: 1 }, maxWorkers: 1, isolate: false },
      },
    ],
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
});
