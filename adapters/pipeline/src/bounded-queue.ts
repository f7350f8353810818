/**
 * A bounded single-producer single-consumer async queue: `push` waits while the queue is full (the producer, an LLM
 * stream, simply stops reading its socket), `next` waits while it is empty. `close()` ends it after the queued items;
 * `abort()` ends it at once, dropping what is queued (an interruption flushes every stage).
 */
export class BoundedQueue<T> {
  private readonly items: T[] = [];
  private closed = false;
  private aborted = false;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.items.length;
  }

  /** Adds an item, waiting for room. Resolves false (item dropped) once the queue is closed or aborted. */
  async push(item: T): Promise<boolean> {
    while (!this.closed && !this.aborted && this.items.length >= this.capacity) {
      await new Promise<void>((resolve) => {
        this.wakeProducer = resolve;
      });
    }
    if (this.closed || this.aborted) return false;
    this.items.push(item);
    this.wake('consumer');
    return true;
  }

  /** The next item, or undefined once the queue is closed and drained, or aborted. */
  async next(): Promise<T | undefined> {
    while (!this.aborted && this.items.length === 0 && !this.closed) {
      await new Promise<void>((resolve) => {
        this.wakeConsumer = resolve;
      });
    }
    if (this.aborted) return undefined;
    const item = this.items.shift();
    this.wake('producer');
    return item;
  }

  /** No more items: the consumer gets what is queued, then undefined. */
  close(): void {
    this.closed = true;
    this.wake('consumer');
    this.wake('producer');
  }

  /** Ends the queue now and drops what it holds. */
  abort(): void {
    this.aborted = true;
    this.items.length = 0;
    this.wake('consumer');
    this.wake('producer');
  }

  private wake(who: 'consumer' | 'producer'): void {
    const resolve = who === 'consumer' ? this.wakeConsumer : this.wakeProducer;
    if (who === 'consumer') this.wakeConsumer = undefined;
    else this.wakeProducer = undefined;
    resolve?.();
  }
}
