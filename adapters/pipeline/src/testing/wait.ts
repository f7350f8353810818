/** Polls `condition` every 5 ms until it holds; rejects after `timeoutMs` with `describe()` (tests wait no longer than needed). */
export async function waitFor(condition: () => boolean, timeoutMs: number, describe: () => string = () => ''): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${describe() === '' ? '' : `: ${describe()}`}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
