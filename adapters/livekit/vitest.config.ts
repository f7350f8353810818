import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'adapter-livekit',
    include: ['src/**/*.test.ts'],
  },
});
