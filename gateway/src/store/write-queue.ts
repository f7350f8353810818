/**
 * The store's write queue (StoreWriter): writers enqueue and return at once; ops are applied later, in order, in
 * batches (one transaction per batch, each op through the applier registered for its kind). The memory queue is
 * bounded (`maxOps`); beyond it, whenever the spill file already holds ops (order is kept), and while the database is
 * known to be down (so that an outage's writes are on disk within the spill file's flush delay, and a crash during
 * the outage loses only what was in memory when it began), ops go to the spill file; when the spill file is full,
 * to memory if it is empty; beyond both they are dropped, counted and logged once per interval. A transaction stops
 * taking ops from its batch after `maxBatchMs` and commits what it has (the rest go in the next one): a burst of ops
 * is committed bit by bit instead of all at the end, which keeps short the time an op lives only in memory. A failed batch is retried with backoff
 * while the database is down (a probe says so); when the database answers but an op keeps failing, that op alone is
 * retried a few times and then rejected (logged with its kind and error, counted), so one bad op cannot stall the
 * rest. Nothing here ever throws to, or waits on behalf of, the enqueuer.
 */
import { isTransientWriteError } from './transient.js';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from './schema.js';
import type { SpillFile, SpilledOp } from './spill-file.js';
import type { Applier, StoreWriter, WriteOp, WriteQueueStats } from './types.js';

export interface WriteQueueOptions {
  db: Kysely<Database>;
  logger: Logger;
  maxOps: number;
  batchOps: number;
  /** The overflow file (opened); none = memory only. */
  spill?: SpillFile | undefined;
  /** First retry delay after a failure; doubles (with jitter) up to retryMaxMs. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Attempts of one op while the database answers, before it is rejected. */
  maxOpAttempts?: number;
  /** Drops (and rejections) are logged at most this often. */
  logIntervalMs?: number;
  /** How long close() keeps applying before it spills what is left. */
  closeTimeoutMs?: number;
  /** A transaction takes no more ops from its batch after this long (it always takes one); default 50. */
  maxBatchMs?: number;
}

interface Item {
  readonly op: WriteOp;
  /** Set when the op was read from the spill file: its line's length, committed once applied. */
  readonly spillBytes?: number;
  attempts: number;
}

type Outcome = 'done' | 'down' | 'waiting';

export class WriteQueue implements StoreWriter {
  private readonly appliers = new Map<string, Applier>();
  private memory: Item[] = [];
  private head = 0;
  /** The batch being applied (taken from memory or the spill file), kept across retries. */
  private current: Item[] = [];
  private readonly counts = { applied: 0, failures: 0, dropped: 0, rejected: 0 };
  private databaseUp = true;
  private retryStep = 0;
  private kickTimer: NodeJS.Immediate | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private flushWaiters: (() => void)[] = [];
  private closed = false;
  private stopping = false;
  private lastDropLogMs = -Infinity;
  private unloggedDrops = 0;
  private readonly warnedKinds = new Set<string>();
  private readonly o: Required<Omit<WriteQueueOptions, 'spill'>> & { spill: SpillFile | undefined };

  constructor(options: WriteQueueOptions) {
    this.o = {
      retryMinMs: 200,
      retryMaxMs: 10_000,
      maxOpAttempts: 5,
      logIntervalMs: 60_000,
      closeTimeoutMs: 5_000,
      maxBatchMs: 50,
      ...options,
      spill: options.spill,
    };
  }

  register(kind: string, apply: Applier): void {
    this.appliers.set(kind, apply);
    this.kick();
  }

  enqueue(op: WriteOp): void {
    if (this.closed) {
      this.drop(1, 'the store is closed');
      return;
    }
    const spill = this.o.spill;
    const spilling = spill !== undefined && spill.count > 0;
    const room = this.memoryLength() + this.currentFromMemory() < this.o.maxOps;
    if (!spilling && room && (this.databaseUp || spill === undefined)) {
      this.memory.push({ op, attempts: 0 });
    } else if (spill !== undefined && spill.append(op)) {
      // on disk within the spill file's flush delay
    } else if (!spilling && room) {
      this.memory.push({ op, attempts: 0 }); // the database is down and the spill file full: memory still keeps order
    } else {
      this.drop(1, spill === undefined ? 'the memory queue is full' : 'the memory queue and the spill file are full');
      return;
    }
    this.kick();
  }

  stats(): WriteQueueStats {
    return {
      queued: this.memoryLength() + this.currentFromMemory(),
      spilled: this.o.spill?.count ?? 0,
      applied: this.counts.applied,
      failures: this.counts.failures,
      dropped: this.counts.dropped,
      rejected: this.counts.rejected,
      databaseUp: this.databaseUp,
    };
  }

  /** Applies what it can now: resolves when everything is applied, or an attempt found the database down. */
  flush(): Promise<void> {
    if (this.isEmpty()) return this.running ?? Promise.resolve();
    const done = new Promise<void>((resolve) => this.flushWaiters.push(resolve));
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.kick(true);
    return done;
  }

  /** Applies for up to closeTimeoutMs, then puts what is left at the front of the spill file and closes it. */
  async close(): Promise<void> {
    if (this.closed) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.o.closeTimeoutMs)));
    await Promise.race([this.flush(), timeout]);
    clearTimeout(timer);
    this.closed = true;
    this.stopping = true;
    clearTimeout(this.retryTimer);
    if (this.kickTimer !== undefined) clearImmediate(this.kickTimer);
    await this.running;
    const left = [...this.current.filter((i) => i.spillBytes === undefined), ...this.memory.slice(this.head)].map((i) => i.op);
    this.current = [];
    this.memory = [];
    this.head = 0;
    const spill = this.o.spill;
    if (spill !== undefined) {
      const dropped = await spill.closeWithFront(left).catch((err: unknown) => {
        this.o.logger.error({ err }, 'store: could not write the spill file at close');
        return left.length;
      });
      if (left.length > 0) this.o.logger.warn({ spilled: left.length - dropped }, 'store: database unavailable at close; queued writes kept in the spill file for the next start');
      if (dropped > 0) this.drop(dropped, 'the spill file is full');
    } else if (left.length > 0) {
      this.drop(left.length, 'the database is unavailable at close and there is no spill file');
    }
    this.logDrops(true);
  }

  // ---------------------------------------------------------------------------------------------------------------

  private memoryLength(): number {
    return this.memory.length - this.head;
  }

  private currentFromMemory(): number {
    let n = 0;
    for (const i of this.current) if (i.spillBytes === undefined) n++;
    return n;
  }

  private isEmpty(): boolean {
    return this.current.length === 0 && this.memoryLength() === 0 && (this.o.spill?.count ?? 0) === 0;
  }

  private kick(now = false): void {
    if (this.stopping || this.running !== undefined || this.kickTimer !== undefined) return;
    if (this.retryTimer !== undefined && !now) return;
    // Never in the enqueuer's tick: compiling and sending queries is the loop's work, and ops of one tick batch up.
    this.kickTimer = setImmediate(() => {
      this.kickTimer = undefined;
      this.running = this.run().finally(() => {
        this.running = undefined;
        // A flush() that came while this run was ending (after it settled its waiters) gets its own attempt.
        if (this.flushWaiters.length > 0 && !this.stopping) {
          clearTimeout(this.retryTimer);
          this.retryTimer = undefined;
          this.kick(true);
        }
      });
    });
  }

  private async run(): Promise<void> {
    try {
      while (!this.stopping) {
        const batch = await this.nextBatch();
        if (batch.length === 0) break;
        const outcome = await this.applyBatch(batch);
        if (outcome !== 'done') {
          this.settleFlushes();
          this.scheduleRetry(outcome);
          return;
        }
        this.retryStep = 0;
      }
    } catch (err) {
      this.o.logger.error({ err }, 'store: write queue failed (retrying)');
      this.counts.failures++;
      this.settleFlushes();
      this.scheduleRetry('down');
      return;
    }
    this.settleFlushes();
  }

  private settleFlushes(): void {
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const w of waiters) w();
  }

  private scheduleRetry(outcome: 'down' | 'waiting'): void {
    if (this.stopping) return;
    const base = Math.min(this.o.retryMaxMs, this.o.retryMinMs * 2 ** this.retryStep);
    if (outcome === 'down') this.retryStep = Math.min(this.retryStep + 1, 30);
    const delay = base / 2 + Math.random() * (base / 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, delay);
  }

  private async nextBatch(): Promise<Item[]> {
    if (this.current.length > 0) return this.current;
    const n = Math.min(this.o.batchOps, this.memoryLength());
    if (n > 0) {
      this.current = this.memory.slice(this.head, this.head + n);
      this.head += n;
      if (this.head > 1024 && this.head * 2 > this.memory.length) {
        this.memory = this.memory.slice(this.head);
        this.head = 0;
      }
      return this.current;
    }
    const spill = this.o.spill;
    if (spill === undefined || spill.count === 0) return [];
    const read: SpilledOp[] = await spill.read(this.o.batchOps);
    this.current = read.map((s) => ({ op: s.op, spillBytes: s.bytes, attempts: 0 }));
    return this.current;
  }

  private async applyBatch(batch: Item[]): Promise<Outcome> {
    for (const item of batch) {
      if (item.op.kind === '' || this.appliers.has(item.op.kind)) continue;
      // Registered at start by the module that writes it: wait for it rather than lose the op.
      if (!this.warnedKinds.has(item.op.kind)) {
        this.warnedKinds.add(item.op.kind);
        this.o.logger.warn({ kind: item.op.kind }, 'store: no applier registered for this write kind yet; its writes wait');
      }
      return 'waiting';
    }
    try {
      let taken = 0;
      await this.o.db.transaction().execute(async (trx) => {
        const startedMs = performance.now();
        taken = 0;
        for (const item of batch) {
          if (taken > 0 && performance.now() - startedMs >= this.o.maxBatchMs) break;
          const apply = this.appliers.get(item.op.kind);
          if (apply !== undefined) await apply(trx, item.op.data);
          taken++;
        }
      });
      this.databaseUp = true;
      await this.done(taken === batch.length ? batch : batch.slice(0, taken));
      return 'done';
    } catch (err) {
      this.counts.failures++;
      if (!(await this.probe(err))) return 'down';
      return this.applyOneByOne();
    }
  }

  /** The database answers, yet the batch failed: find the op(s) at fault. */
  private async applyOneByOne(): Promise<Outcome> {
    for (;;) {
      const item = this.current[0];
      if (item === undefined) break;
      const apply = this.appliers.get(item.op.kind);
      try {
        if (apply !== undefined) await this.o.db.transaction().execute((trx) => apply(trx, item.op.data));
        await this.done([item]);
      } catch (err) {
        this.counts.failures++;
        if (!(await this.probe(err))) return 'down';
        // Busy, locked or timing out: it will go through later; only definite refusals count towards rejection.
        if (isTransientWriteError(err)) return 'down';
        item.attempts++;
        if (item.attempts < this.o.maxOpAttempts) return 'down';
        this.o.logger.error({ kind: item.op.kind, err: { message: errorMessage(err), code: errorCode(err) } }, 'store: write rejected after repeated failures (the database refused it)');
        this.counts.rejected++;
        await this.done([item], false);
      }
    }
    return 'done';
  }

  /** Removes applied items from the batch (and their lines from the spill file). */
  private async done(items: Item[], applied = true): Promise<void> {
    let spillOps = 0;
    let spillBytes = 0;
    for (const i of items) {
      if (i.spillBytes !== undefined) {
        spillOps++;
        spillBytes += i.spillBytes;
      }
      if (i.op.kind === '') this.counts.rejected++;
      else if (applied) this.counts.applied++;
    }
    if (this.current === items) this.current = [];
    else {
      const gone = new Set(items);
      this.current = this.current.filter((i) => !gone.has(i));
    }
    if (spillOps > 0) await this.o.spill?.commit(spillOps, spillBytes);
  }

  private async probe(cause: unknown): Promise<boolean> {
    try {
      await sql`select 1`.execute(this.o.db);
      return true;
    } catch {
      if (this.databaseUp) this.o.logger.warn({ err: { message: errorMessage(cause), code: errorCode(cause) } }, 'store: database unavailable; writes are queued and retried');
      this.databaseUp = false;
      return false;
    }
  }

  private drop(n: number, why: string): void {
    this.counts.dropped += n;
    this.unloggedDrops += n;
    this.lastDropWhy = why;
    this.logDrops(false);
  }

  private lastDropWhy = '';

  private logDrops(force: boolean): void {
    if (this.unloggedDrops === 0) return;
    const now = performance.now();
    if (!force && now - this.lastDropLogMs < this.o.logIntervalMs) return;
    this.lastDropLogMs = now;
    this.o.logger.error({ dropped: this.unloggedDrops, droppedTotal: this.counts.dropped, reason: this.lastDropWhy }, 'store: writes dropped');
    this.unloggedDrops = 0;
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}
