/**
 * The outbox as the API reads it: deliveries newest first with filters and a cursor, one delivery with its
 * attempts, and replay (send again now, same `webhook-id`, as new attempts). Reads go straight to the database;
 * a replay is an API request, so it is written before the API answers.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database, WebhookAttemptsTable, WebhookDeliveriesTable } from '../store/schema.js';
import type { AttemptError, DeliveryStatus, WebhookEventType } from './events.js';

export interface DeliveryView {
  id: string;
  eventType: WebhookEventType;
  endpoint: string;
  /** The endpoint's URL without its query (tokens live there). */
  url: string;
  callId: string | null;
  status: DeliveryStatus;
  attempts: number;
  createdAt: string;
  /** When it is tried next (pending), or was last due. */
  nextAttemptAt: string;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
}

export interface AttemptView {
  attempt: number;
  at: string;
  durationMs: number;
  statusCode: number | null;
  error: AttemptError | null;
}

export interface DeliveryDetail extends DeliveryView {
  /** The body sent on every attempt (the envelope `{type, timestamp, data}`). */
  payload: unknown;
  attemptList: AttemptView[];
}

export interface DeliveryFilter {
  status?: DeliveryStatus | undefined;
  eventType?: WebhookEventType | undefined;
  callId?: string | undefined;
  endpoint?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

export class CursorError extends Error {
  override readonly name = 'CursorError';
  readonly code = 'CURSOR_INVALID';
}

export class WebhookDeliveries {
  constructor(
    private readonly db: Kysely<Database>,
    /** Told after a replay is written (the worker's wake-up). */
    private readonly onReplay: () => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** Newest first; `next` is the cursor of the following page, null at the end. */
  async list(f: DeliveryFilter): Promise<{ deliveries: DeliveryView[]; next: string | null }> {
    let q = this.db.selectFrom('webhook_deliveries').selectAll();
    if (f.status !== undefined) q = q.where('status', '=', f.status);
    if (f.eventType !== undefined) q = q.where('event_type', '=', f.eventType);
    if (f.callId !== undefined) q = q.where('call_id', '=', f.callId);
    if (f.endpoint !== undefined) q = q.where('endpoint', '=', f.endpoint);
    if (f.cursor !== undefined) {
      const c = decodeCursor(f.cursor);
      q = q.where((w) => w.or([w('created_at', '<', c.createdAt), w.and([w('created_at', '=', c.createdAt), w('id', '<', c.id)])]));
    }
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit + 1).execute();
    const page = rows.slice(0, f.limit);
    const last = page[page.length - 1];
    return { deliveries: page.map(view), next: rows.length > f.limit && last !== undefined ? encodeCursor(last.created_at, last.id) : null };
  }

  async get(id: string): Promise<DeliveryDetail | undefined> {
    const row = await this.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
    if (row === undefined) return undefined;
    const attempts = await this.db.selectFrom('webhook_attempts').selectAll().where('delivery_id', '=', id).orderBy('attempt').execute();
    return { ...view(row), payload: JSON.parse(row.payload_json) as unknown, attemptList: attempts.map(attemptView) };
  }

  /** Makes the delivery due now (whatever its status); undefined when there is none. */
  async replay(id: string): Promise<DeliveryView | undefined> {
    // The row as this update left it (pending, due now): the worker is woken only after, so a fast resend cannot
    // make the answer say `delivered` before the replay was even acknowledged.
    const row = await this.db.updateTable('webhook_deliveries').set({ status: 'pending', next_attempt_at: this.now() }).where('id', '=', id).returningAll().executeTakeFirst();
    if (row === undefined) return undefined;
    this.onReplay();
    return view(row);
  }
}

function view(r: Selectable<WebhookDeliveriesTable>): DeliveryView {
  return {
    id: r.id,
    eventType: r.event_type as WebhookEventType,
    endpoint: r.endpoint,
    url: withoutQuery(r.url),
    callId: r.call_id,
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    createdAt: iso(r.created_at),
    nextAttemptAt: iso(r.next_attempt_at),
    lastAttemptAt: r.last_attempt_at === null ? null : iso(r.last_attempt_at),
    deliveredAt: r.delivered_at === null ? null : iso(r.delivered_at),
  };
}

function attemptView(a: Selectable<WebhookAttemptsTable>): AttemptView {
  return { attempt: Number(a.attempt), at: iso(a.at), durationMs: Number(a.duration_ms), statusCode: a.status_code === null ? null : Number(a.status_code), error: a.error as AttemptError | null };
}

function iso(ms: number): string {
  return new Date(Number(ms)).toISOString();
}

function withoutQuery(url: string): string {
  try {
    const u = new URL(url);
    u.search = '';
    u.hash = '';
    return u.toString();
  } catch {
    return url;
  }
}

export function encodeCursor(createdAt: number, id: string): string {
  return Buffer.from(`${Number(createdAt)}:${id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: number; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const colon = text.indexOf(':');
  const createdAt = Number(text.slice(0, colon));
  const id = text.slice(colon + 1);
  if (colon <= 0 || !Number.isSafeInteger(createdAt) || !id.startsWith('msg_')) throw new CursorError(`not a cursor from this API: '${cursor.slice(0, 64)}'`);
  return { createdAt, id };
}
