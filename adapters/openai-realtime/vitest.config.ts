import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'adapter-openai-realtime',
    include: ['src/**/*.test.ts'],
  },
});
