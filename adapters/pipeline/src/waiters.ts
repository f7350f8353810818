/** Waiting on an event that a set of waiters is woken for, bounded by a timeout. */

/** Resolves when `waiters` are woken (each is called once, then the set cleared by the waker) or after `timeoutMs`. */
export async function wakeOrTimeout(waiters: Set<() => void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  try {
    await new Promise<void>((resolve) => {
      wake = resolve;
      waiters.add(resolve);
      timer = setTimeout(resolve, timeoutMs);
    });
  } finally {
    clearTimeout(timer);
    if (wake !== undefined) waiters.delete(wake);
  }
}

/** Wakes every waiter once. */
export function wakeAll(waiters: Set<() => void>): void {
  for (const wake of waiters) wake();
  waiters.clear();
}
