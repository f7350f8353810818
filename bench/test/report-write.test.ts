import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { reportFiles, slug, writeReport } from '../src/report/write.js';
import type { BenchResult } from '../src/report/types.js';
import { fixture } from './report-fixture.js';

describe('writeReport', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'patchbay-report-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the JSON, Markdown, both charts and LATEST.md', async () => {
    const result = fixture();
    const written = await writeReport(result, join(dir, 'results'));
    const names = (await readdir(join(dir, 'results'))).sort();
    expect(names).toEqual([
      '2025-11-21-ws-echo-200-co-latency.svg',
      '2025-11-21-ws-echo-200-co-ramp.svg',
      '2025-11-21-ws-echo-200-co.json',
      '2025-11-21-ws-echo-200-co.md',
      'LATEST.md',
    ]);
    expect(written).toHaveLength(5);
    const json: unknown = JSON.parse(await readFile(join(dir, 'results', '2025-11-21-ws-echo-200-co.json'), 'utf8'));
    expect(json).toEqual(result);
    const md = await readFile(join(dir, 'results', '2025-11-21-ws-echo-200-co.md'), 'utf8');
    expect(await readFile(join(dir, 'results', 'LATEST.md'), 'utf8')).toBe(md);
    expect(md).toContain('![Latency per hop](2025-11-21-ws-echo-200-co-latency.svg)');
    expect(md).toContain('(2025-11-21-ws-echo-200-co-ramp.svg)');
  });

  it('skips the ramp chart without a ramp, and LATEST.md follows the newest write', async () => {
    await writeReport(fixture(), dir);
    const later: BenchResult = { ...fixture(), name: 'fixed', startedAt: '2025-11-22T08:00:00Z', ramp: undefined };
    await writeReport(later, dir);
    const names = await readdir(dir);
    expect(names).toContain('2025-11-22-fixed.md');
    expect(names).not.toContain('2025-11-22-fixed-ramp.svg');
    expect(names.some((n) => n.endsWith('.tmp'))).toBe(false);
    const latest = await readFile(join(dir, 'LATEST.md'), 'utf8');
    expect(latest.startsWith('# Bench: fixed\n')).toBe(true);
    expect(latest).not.toContain('ramp.svg');
  });
});

describe('file names', () => {
  it('slugs names safely', () => {
    expect(slug('ws-echo <200> & co')).toBe('ws-echo-200-co');
    expect(slug('../../etc/passwd')).toBe('etc-passwd');
    expect(slug('<>')).toBe('bench');
  });

  it('falls back to "undated" for an unparsable start time', () => {
    expect(reportFiles({ ...fixture(), startedAt: 'yesterday' })[0]?.name).toBe('undated-ws-echo-200-co.json');
  });
});
