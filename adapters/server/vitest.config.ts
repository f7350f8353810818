import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'adapter-server',
    include: ['src/**/*.test.ts'],
  },
});
