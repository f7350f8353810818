/**
 * The outbox's write side: an event becomes one delivery row per endpoint that takes it, queued through the
 * store's writer (never waiting on the database; the store's queue spills and retries), applied by an idempotent
 * insert-or-ignore keyed by the delivery id. The id (`msg_…`, the `webhook-id` header) is derived from the event and
 * the endpoint, so it is the same on every attempt, every replay and every re-application of the op.
 */
import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Database, WebhookDeliveriesTable } from '../store/schema.js';
import type { StoreWriter } from '../store/types.js';
import type { WebhookEndpoints } from './endpoints.js';
import type { WebhookEnvelope, WebhookEventData, WebhookEventType } from './events.js';

export const DELIVERY_WRITE_KIND = 'webhook-delivery';

/** What goes through the write queue (and maybe its spill file): a delivery row as created. */
export interface DeliveryOp {
  id: string;
  eventType: WebhookEventType;
  endpoint: string;
  url: string;
  callId: string | null;
  payload: string;
  createdAt: number;
}

/** `msg_` + 32 hex digits of SHA-256 over the event's key and the endpoint's name. */
export function deliveryId(eventKey: string, endpoint: string): string {
  return `msg_${createHash('sha256').update(eventKey).update('\n').update(endpoint).digest('hex').slice(0, 32)}`;
}

export interface OutboxOptions {
  readonly writer: StoreWriter;
  readonly endpoints: WebhookEndpoints;
  /** Epoch ms; default the wall clock. */
  readonly now?: () => number;
}

export class WebhookOutbox {
  /** Deliveries queued since start (one per endpoint per event). */
  queued = 0;
  readonly #writer: StoreWriter;
  readonly #endpoints: WebhookEndpoints;
  readonly #now: () => number;

  constructor(options: OutboxOptions) {
    this.#writer = options.writer;
    this.#endpoints = options.endpoints;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Queues `type` for every endpoint that takes it for a call whose number matched `pattern`. `eventKey` names the
   * event uniquely (a call has one `call.ended`: `<callId>:call.ended`). Synchronous and O(endpoints); never throws
   * for a database problem (the writer never does).
   */
  publish<T extends WebhookEventType>(type: T, e: { pattern: string; callId: string | null; eventKey: string; atMs: number; data: WebhookEventData[T] }): number {
    const targets = this.#endpoints.match(type, e.pattern);
    if (targets.length === 0) return 0;
    const envelope: WebhookEnvelope<T> = { type, timestamp: new Date(e.atMs).toISOString(), data: e.data };
    const payload = JSON.stringify(envelope);
    const createdAt = this.#now();
    for (const endpoint of targets) {
      const op: DeliveryOp = { id: deliveryId(e.eventKey, endpoint.name), eventType: type, endpoint: endpoint.name, url: endpoint.url, callId: e.callId, payload, createdAt };
      this.#writer.enqueue({ kind: DELIVERY_WRITE_KIND, data: op });
    }
    this.queued += targets.length;
    return targets.length;
  }
}

/** Registers the insert-or-ignore applier; `onApplied` runs after each (the worker's wake-up). */
export function registerDeliveryApplier(writer: StoreWriter, onApplied: () => void): void {
  writer.register(DELIVERY_WRITE_KIND, async (trx: Transaction<Database>, data: unknown) => {
    const op = asDeliveryOp(data);
    const row: WebhookDeliveriesTable = {
      id: op.id,
      event_type: op.eventType,
      endpoint: op.endpoint,
      url: op.url,
      call_id: op.callId,
      payload_json: op.payload,
      status: 'pending',
      attempts: 0,
      created_at: op.createdAt,
      next_attempt_at: op.createdAt,
      last_attempt_at: null,
      delivered_at: null,
      lease_until: null,
      lease_owner: null,
    };
    await trx.insertInto('webhook_deliveries').values(row).onConflict((oc) => oc.column('id').doNothing()).execute();
    onApplied();
  });
}

/** The op back from the queue (maybe from the spill file, written by an older gateway): checked, not trusted. */
function asDeliveryOp(data: unknown): DeliveryOp {
  if (typeof data !== 'object' || data === null) throw new TypeError('webhook-delivery op: not an object');
  const d = data as Record<string, unknown>;
  const str = (k: string): string => {
    const v = d[k];
    if (typeof v !== 'string') throw new TypeError(`webhook-delivery op: ${k} is not a string`);
    return v;
  };
  const createdAt = d['createdAt'];
  if (typeof createdAt !== 'number' || !Number.isFinite(createdAt)) throw new TypeError('webhook-delivery op: createdAt is not a number');
  const callId = d['callId'];
  return {
    id: str('id'),
    eventType: str('eventType') as WebhookEventType,
    endpoint: str('endpoint'),
    url: str('url'),
    callId: typeof callId === 'string' ? callId : null,
    payload: str('payload'),
    createdAt,
  };
}
