/**
 * The delivery worker, off the call path: reads due deliveries (`pending`, `next_attempt_at <= now`, no live
 * lease) from the outbox, claims each with a lease in one UPDATE … RETURNING (atomic on SQLite, whose writer is
 * single, and on PostgreSQL, where the pick is FOR UPDATE SKIP LOCKED: see claim()), so several gateways sharing one
 * database never send the same delivery at once. Each claim is POSTed (sender.ts)
 * with at most `maxConcurrentPerEndpoint` in flight per endpoint, and its attempt is recorded with the outcome:
 * 2xx → delivered; otherwise the next try by backoff (backoff.ts) or, past the give-up mark, failed. Attempts that
 * finish while an earlier one is being written are written together, in one transaction.
 *
 * Wakes when a new row is written (the applier calls `wake`), every `pollIntervalMs`, and when a send finishes if
 * the last look may have left due rows behind (an endpoint at its limit, or a claim that filled every free slot):
 * a finished send after a look that found the outbox drained costs no query.
 */
import type { CompiledQuery, Kysely, Selectable } from 'kysely';
import type { Logger } from 'pino';
import type { Database, WebhookDeliveriesTable } from '../store/schema.js';
import { nextStep, type RetrySchedule } from './backoff.js';
import type { WebhookEndpoint, WebhookEndpoints } from './endpoints.js';
import type { AttemptResult, WebhookSender } from './sender.js';

export interface DeliveryWorkerOptions {
  readonly db: Kysely<Database>;
  /** The engine (store.dialect): PostgreSQL claims with row locks (see claim()). Default sqlite. */
  readonly dialect?: 'sqlite' | 'postgres' | undefined;
  readonly endpoints: WebhookEndpoints;
  readonly sender: WebhookSender;
  readonly timeoutMs: number;
  readonly maxConcurrentPerEndpoint: number;
  readonly retry: RetrySchedule;
  readonly pollIntervalMs: number;
  /** This worker's lease owner id (unique per process). */
  readonly owner: string;
  readonly logger?: Logger | undefined;
  /** Epoch ms; default the wall clock. */
  readonly now?: () => number;
  readonly random?: () => number;
}

export interface DeliveryWorkerStats {
  attempts: number;
  delivered: number;
  failed: number;
  /** Reads or writes of the outbox that failed (the database was down): retried on the next wake. */
  storeErrors: number;
  /** Most POSTs in flight to one endpoint at once, since start. */
  peakInFlight: number;
}

type DeliveryRow = Selectable<WebhookDeliveriesTable>;

/** A finished attempt waiting to be written, and who waits for it. */
interface PendingRecord {
  readonly row: DeliveryRow;
  readonly result: AttemptResult;
  readonly startedAt: number;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export class DeliveryWorker {
  readonly stats: DeliveryWorkerStats = { attempts: 0, delivered: 0, failed: 0, storeErrors: 0, peakInFlight: 0 };
  readonly #o: DeliveryWorkerOptions;
  readonly #now: () => number;
  readonly #inFlight = new Map<string, number>();
  readonly #sends = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  /** A lease outlasts the POST's timeout with room for the database writes around it. */
  readonly #leaseMs: number;
  #timer: NodeJS.Timeout | undefined;
  /** When the timer fires (epoch ms); Infinity without one. */
  #timerDueMs = Infinity;
  #ticking: Promise<void> | undefined;
  #again = false;
  #closed = false;
  /** The earliest retry this worker scheduled and has not looked for yet (epoch ms). */
  #nextDueMs = Infinity;
  /** Attempts finished while a write was in flight: the next write takes them all. */
  #toRecord: PendingRecord[] = [];
  #recording = false;
  /** Whether the last look may have left due deliveries unclaimed. */
  #maybeMore = true;

  constructor(options: DeliveryWorkerOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#leaseMs = options.timeoutMs + 10_000;
  }

  start(): void {
    this.wake();
  }

  /** Look for due deliveries now (coalesced: one pass at a time, and one more if woken during it). */
  wake(): void {
    if (this.#closed) return;
    if (this.#ticking !== undefined) {
      this.#again = true;
      return;
    }
    this.#ticking = this.tick().finally(() => {
      this.#ticking = undefined;
      if (this.#again) {
        this.#again = false;
        this.wake();
      } else {
        // The next poll, or sooner when a retry this worker scheduled falls due before it.
        const untilDue = this.#nextDueMs - this.#now();
        this.schedule(Math.max(0, Math.min(this.#o.pollIntervalMs, untilDue)));
      }
    });
  }

  /** Stops claiming, aborts POSTs in flight (their leases are released, no attempt is counted), waits for them. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#abort.abort();
    await this.#ticking;
    await Promise.allSettled([...this.#sends]);
  }

  private schedule(ms: number): void {
    clearTimeout(this.#timer);
    this.#timerDueMs = Infinity;
    if (this.#closed) return;
    this.#timerDueMs = this.#now() + ms;
    this.#timer = setTimeout(() => this.wake(), ms);
    this.#timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.#nextDueMs <= this.#now()) this.#nextDueMs = Infinity;
    this.#maybeMore = false;
    for (const endpoint of this.#o.endpoints.all) {
      const free = this.#o.maxConcurrentPerEndpoint - (this.#inFlight.get(endpoint.name) ?? 0);
      if (this.#closed) continue;
      if (free <= 0) {
        this.#maybeMore = true;
        continue;
      }
      let rows: DeliveryRow[];
      try {
        rows = await this.claim(endpoint.name, free);
        if (rows.length >= free) this.#maybeMore = true;
      } catch (err) {
        this.#maybeMore = true;
        this.stats.storeErrors++;
        this.#o.logger?.warn({ err, endpoint: endpoint.name }, 'webhook outbox: claiming deliveries failed');
        return;
      }
      for (const row of rows) this.dispatch(row, endpoint);
    }
  }

  private claim(endpoint: string, limit: number): Promise<DeliveryRow[]> {
    return claimDeliveries(this.#o.db, this.#o.dialect ?? 'sqlite', { endpoint, limit, now: this.#now(), owner: this.#o.owner, leaseMs: this.#leaseMs });
  }

  private dispatch(row: DeliveryRow, endpoint: WebhookEndpoint): void {
    const n = (this.#inFlight.get(endpoint.name) ?? 0) + 1;
    this.#inFlight.set(endpoint.name, n);
    if (n > this.stats.peakInFlight) this.stats.peakInFlight = n;
    const send = this.attempt(row, endpoint)
      .catch((err: unknown) => {
        this.stats.storeErrors++;
        this.#o.logger?.warn({ err, delivery: row.id }, 'webhook outbox: recording an attempt failed (the lease will lapse and it is tried again)');
      })
      .finally(() => {
        this.#inFlight.set(endpoint.name, (this.#inFlight.get(endpoint.name) ?? 1) - 1);
        this.#sends.delete(send);
        if (this.#maybeMore || this.#ticking !== undefined) this.wake();
      });
    this.#sends.add(send);
  }

  private async attempt(row: DeliveryRow, endpoint: WebhookEndpoint): Promise<void> {
    const startedAt = this.#now();
    let result: AttemptResult;
    try {
      result = await this.#o.sender.send({ id: row.id, url: row.url, secret: endpoint.secret, body: row.payload_json }, startedAt, this.#abort.signal);
    } catch (err) {
      if (!this.#abort.signal.aborted) throw err;
      // Shutting down mid-POST: not the receiver's fault; hand the delivery back for the next start (or gateway).
      await this.#o.db.updateTable('webhook_deliveries').set({ lease_until: null, lease_owner: null }).where('id', '=', row.id).where('lease_owner', '=', this.#o.owner).execute();
      return;
    }
    await this.record(row, result, startedAt);
  }

  /** Resolves once the attempt is written (with the others that finished meanwhile). */
  private record(row: DeliveryRow, result: AttemptResult, startedAt: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#toRecord.push({ row, result, startedAt, resolve, reject });
      this.writeRecords();
    });
  }

  private writeRecords(): void {
    if (this.#recording || this.#toRecord.length === 0) return;
    const batch = this.#toRecord;
    this.#toRecord = [];
    this.#recording = true;
    this.writeBatch(batch).then(
      () => {
        for (const p of batch) p.resolve();
      },
      (err: unknown) => {
        for (const p of batch) p.reject(err);
      },
    ).finally(() => {
      this.#recording = false;
      this.writeRecords();
    });
  }

  private async writeBatch(batch: readonly PendingRecord[]): Promise<void> {
    const now = this.#now();
    const outcomes = batch.map(({ row, result, startedAt }) => {
      const attempt = Number(row.attempts) + 1; // Number(): PostgreSQL's bigint may arrive as a string
      this.stats.attempts++;
      const step = result.ok ? undefined : nextStep(this.#o.retry, attempt, Number(row.created_at), now, this.#o.random);
      const status = result.ok ? 'delivered' : step?.kind === 'give-up' ? 'failed' : 'pending';
      return { row, result, startedAt, attempt, step, status } as const;
    });
    await this.#o.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('webhook_attempts')
        .values(outcomes.map((o) => ({ delivery_id: o.row.id, attempt: o.attempt, at: o.startedAt, duration_ms: o.result.durationMs, status_code: o.result.statusCode, error: o.result.error })))
        .onConflict((oc) => oc.columns(['delivery_id', 'attempt']).doNothing())
        .execute();
      for (const o of outcomes) {
        await trx
          .updateTable('webhook_deliveries')
          .set({
            attempts: o.attempt,
            status: o.status,
            last_attempt_at: o.startedAt,
            delivered_at: o.result.ok ? now : null,
            next_attempt_at: o.step?.kind === 'retry' ? o.step.atMs : Number(o.row.next_attempt_at),
            lease_until: null,
            lease_owner: null,
          })
          .where('id', '=', o.row.id)
          .execute();
      }
    });
    for (const o of outcomes) {
      if (o.step?.kind === 'retry') this.#nextDueMs = Math.min(this.#nextDueMs, o.step.atMs);
      if (o.status === 'delivered') this.stats.delivered++;
      if (o.status === 'failed') {
        this.stats.failed++;
        this.#o.logger?.warn({ delivery: o.row.id, endpoint: o.row.endpoint, type: o.row.event_type, attempts: o.attempt }, 'webhook delivery failed for good (retry.giveUpAfterMs)');
      }
    }
    // The attempt's outcome is written after the pass that sent it scheduled the next poll: a retry due before that
    // poll brings the timer forward (else it would wait for the poll, up to pollIntervalMs late).
    if (this.#ticking === undefined && this.#nextDueMs < this.#timerDueMs) this.schedule(Math.max(0, this.#nextDueMs - this.#now()));
  }
}

/**
 * Leases up to `limit` due deliveries of `endpoint` (pending, next_attempt_at ≤ now, no live lease) to `owner`,
 * atomically. SQLite: one UPDATE … WHERE id IN (SELECT … LIMIT) … RETURNING, atomic under its single writer.
 * PostgreSQL: the pick is a MATERIALIZED CTE … FOR UPDATE SKIP LOCKED, then UPDATE … FROM it … RETURNING. Claimers
 * never wait on each other's rows, and a row another worker claimed and settled (a failed try, its retry later)
 * after this statement's snapshot is re-checked against the pick's conditions when it is locked, so it is not taken
 * early — the plain IN (SELECT …) form waited for it and then took it (its re-check saw only the UPDATE's own
 * conditions). The CTE runs once: as a sub-select, FOR UPDATE SKIP LOCKED may be re-run per row and skip the rows
 * this UPDATE already changed, claiming more than `limit`.
 */
export async function claimDeliveries(
  db: Kysely<Database>,
  dialect: 'sqlite' | 'postgres',
  c: { endpoint: string; limit: number; now: number; owner: string; leaseMs: number },
): Promise<DeliveryRow[]> {
  if (dialect === 'sqlite') {
    const compiled = sqliteClaimOf(db);
    const values: Record<number, unknown> = { [OWNER]: c.owner, [LEASE_UNTIL]: c.now + c.leaseMs, [ENDPOINT]: c.endpoint, [NOW]: c.now, [LIMIT]: c.limit };
    const parameters = compiled.slots.map((slot, i) => (slot === undefined ? compiled.query.parameters[i] : values[slot]));
    return (await db.executeQuery<DeliveryRow>({ ...compiled.query, parameters })).rows;
  }
  return claimQuery(db, dialect, c).execute();
}

/** The claim's statement, built by Kysely (both engines); SQLite compiles it once per database (sqliteClaimOf). */
function claimQuery(db: Kysely<Database>, dialect: 'sqlite' | 'postgres', c: { endpoint: string; limit: number; now: number; owner: string; leaseMs: number }) {
  const { now } = c;
  const lease = { lease_owner: c.owner, lease_until: now + c.leaseMs };
  const due = db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('status', '=', 'pending')
    .where('endpoint', '=', c.endpoint)
    .where('next_attempt_at', '<=', now)
    .where((w) => w.or([w('lease_until', 'is', null), w('lease_until', '<', now)]))
    .orderBy('next_attempt_at')
    .limit(c.limit);
  if (dialect === 'postgres') {
    return db
      .with((w) => w('picked').materialized(), () => due.forUpdate().skipLocked())
      .updateTable('webhook_deliveries')
      .from('picked')
      .set(lease)
      .whereRef('webhook_deliveries.id', '=', 'picked.id')
      .returningAll('webhook_deliveries');
  }
  return db
    .updateTable('webhook_deliveries')
    .set(lease)
    .where('id', 'in', due)
    .where('status', '=', 'pending')
    .where((w) => w.or([w('lease_until', 'is', null), w('lease_until', '<', now)]))
    .returningAll();
}

/*
 * The SQLite claim runs on every wake with the same shape: building and compiling its Kysely tree each time was a
 * visible share of a delivery's CPU. It is compiled once per database with marker values, and each claim fills the
 * marked parameter slots (the others, like 'pending', are constants of the statement).
 */
const OWNER = 0;
const LEASE_UNTIL = 1;
const ENDPOINT = 2;
const NOW = 3;
const LIMIT = 4;
const MARKERS: readonly unknown[] = ['\u0000claim-owner', -7_000_000_001, '\u0000claim-endpoint', -7_000_000_003, 7_000_000_004];
const compiledClaims = new WeakMap<Kysely<Database>, { query: CompiledQuery<DeliveryRow>; slots: readonly (number | undefined)[] }>();

function sqliteClaimOf(db: Kysely<Database>): { query: CompiledQuery<DeliveryRow>; slots: readonly (number | undefined)[] } {
  let compiled = compiledClaims.get(db);
  if (compiled === undefined) {
    const now = MARKERS[NOW] as number;
    const leaseMs = (MARKERS[LEASE_UNTIL] as number) - now;
    const query = claimQuery(db, 'sqlite', { owner: MARKERS[OWNER] as string, endpoint: MARKERS[ENDPOINT] as string, now, limit: MARKERS[LIMIT] as number, leaseMs }).compile();
    const slots = query.parameters.map((p) => {
      const i = MARKERS.indexOf(p);
      return i < 0 ? undefined : i;
    });
    if (slots.filter((x) => x !== undefined).length < MARKERS.length) throw new Error('webhooks: the compiled claim lost a parameter');
    compiled = { query, slots };
    compiledClaims.set(db, compiled);
  }
  return compiled;
}
