/**
 * Poll `condition` (sync or async) every 10 ms until it holds. Rejects after `timeoutMs` with `describe()` in the
 * message, so a test waits exactly as long as it needs and no longer than its bound.
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, describe: () => string = () => ''): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) {
      const detail = describe();
      throw new Error(`condition not met within ${timeoutMs} ms${detail === '' ? '' : `: ${detail}`}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
