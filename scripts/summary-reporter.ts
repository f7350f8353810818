/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, that any CI can read. Tests that passed only
 * on a retry (CI retries the gateway's tests once: timing-sensitive end-to-end tests on a loaded 2-core machine) are
 * named above it, so a flaky test is seen every time, never hidden.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    const flaky: string[] = [];
    for (const module of testModules) {
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed++;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
        if (state === 'passed' && test.diagnostic()?.flaky) flaky.push(`${module.moduleId.replace(process.cwd() + '/', '')} > ${test.fullName}`);
      }
    }
    if (flaky.length > 0) {
      process.stdout.write(`\nflaky: ${flaky.length} test(s) passed only on a retry:\n${flaky.map((f) => `  ${f}`).join('\n')}\n`);
    }
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
