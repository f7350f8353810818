import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['gateway'],
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
});
