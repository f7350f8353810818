/**
 * The store's narrow interface for the rest of the gateway. Writers never wait: `enqueue` puts an operation in a
 * bounded in-memory queue (spilled to a local file while the database is down, replayed at start), and the queue
 * applies it later with the applier registered for its kind, in its own transaction, retried until it holds.
 * Appliers must be idempotent (the same op may be applied twice after a crash): upserts keyed by ids.
 * The store knows nothing of calls or webhooks: records/ and webhooks/ register their kinds.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

/** One queued write: `kind` names its applier; `data` must survive JSON (it may go through the spill file). */
export interface WriteOp {
  readonly kind: string;
  readonly data: unknown;
}

export type Applier = (trx: Transaction<Database>, data: unknown) => Promise<void>;

export interface StoreWriter {
  /** Registers how ops of `kind` are written (before the first such op is applied; at start). */
  register(kind: string, apply: Applier): void;
  /** Queues `op`; never throws, never blocks the caller. */
  enqueue(op: WriteOp): void;
}

export interface WriteQueueStats {
  /** Ops waiting in memory. */
  queued: number;
  /** Ops waiting in the spill file. */
  spilled: number;
  applied: number;
  /** Failed applications (each retried). */
  failures: number;
  /** Ops dropped because both the queue and the spill file were full (counted and logged; never silent). */
  dropped: number;
  /** Ops the database kept refusing while it answered (a bad op, never a down database): logged with their kind. */
  rejected: number;
  /** Whether the last attempt reached the database. */
  databaseUp: boolean;
}

/** The opened store: the query builder for reads (API, analytics, outbox), the write queue for writes. */
export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: 'sqlite' | 'postgres';
  /** Names this gateway in the rows it writes (`calls.gateway_id`, webhook leases): `database.gatewayId` or the host name. */
  readonly gatewayId: string;
  readonly writer: StoreWriter;
  stats(): WriteQueueStats;
  /** Applies every queued op it can (tests, shutdown); resolves when the queue is empty or the database is down. */
  flush(): Promise<void>;
  /** Flushes, spills what is left, closes the database. */
  close(): Promise<void>;
}
