import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'adapter-pipeline',
    include: ['src/**/*.test.ts'],
  },
});
