import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['gateway', 'agents', 'adapters/*', 'observability', 'bench'],
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
});
