import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['gateway', 'agents'],
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
});
