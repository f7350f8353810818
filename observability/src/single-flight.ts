/**
 * Shares one in-flight call among everyone who asks while it runs: a scrape starts every metric's `collect` in the
 * same tick, and they should all read the same gateway snapshot, fetched once. Never rejects: a failure goes to
 * `onError` and resolves to `undefined`.
 */
export class SingleFlight<T> {
  private inflight: Promise<T | undefined> | undefined;

  run(fn: () => Promise<T> | T, onError: (err: unknown) => void): Promise<T | undefined> {
    if (this.inflight) return this.inflight;
    const p = (async (): Promise<T | undefined> => {
      try {
        return await fn();
      } catch (err) {
        onError(err);
        return undefined;
      }
    })();
    this.inflight = p;
    // Cleared once settled; `p` never rejects, so this chain cannot either.
    void p.then(() => {
      if (this.inflight === p) this.inflight = undefined;
    });
    return p;
  }
}
