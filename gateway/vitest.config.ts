import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'gateway',
    // No `include`: the default finds src/ (unit) and test/ (end-to-end) alike; the root config splits them.
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // In CI a failed test runs once more: the timing-sensitive end-to-end tests (barge-in reaction, echo NCC, Twilio
    // clear) can miss their bound when the 2-core machine is saturated. The summary names every test that needed it.
    retry: process.env['CI'] ? 1 : 0,
  },
});
