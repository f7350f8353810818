/**
 * Retention: call records (with their timelines and transcripts) older than `retentionDays`, and webhook deliveries
 * (with their attempts) that are delivered or failed and older, are deleted in small batches, each its own short
 * transaction, so the purge never holds the database (SQLite's one writer, PostgreSQL's locks) for long. Run once at
 * start and daily; several gateways sharing one PostgreSQL may purge at once (deletes are idempotent).
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from './schema.js';

const DAY_MS = 86_400_000;
export const PURGE_BATCH = 500;

export interface PurgeResult {
  calls: number;
  webhookDeliveries: number;
}

/** Deletes what is older than `retentionDays` before `nowMs` (epoch ms). 0 days = keep everything. */
export async function purgeExpired(db: Kysely<Database>, retentionDays: number, nowMs: number, batch = PURGE_BATCH): Promise<PurgeResult> {
  const result: PurgeResult = { calls: 0, webhookDeliveries: 0 };
  if (retentionDays <= 0) return result;
  const cutoff = nowMs - retentionDays * DAY_MS;
  for (;;) {
    const ids = (await db.selectFrom('calls').select('id').where('created_at', '<', cutoff).limit(batch).execute()).map((r) => r.id);
    if (ids.length === 0) break;
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('call_events').where('call_id', 'in', ids).execute();
      await trx.deleteFrom('call_transcripts').where('call_id', 'in', ids).execute();
      await trx.deleteFrom('calls').where('id', 'in', ids).execute();
    });
    result.calls += ids.length;
    if (ids.length < batch) break;
    await yieldToOthers();
  }
  // Timeline and transcript lines whose call row never came (or went): by their own time.
  for (const table of ['call_events', 'call_transcripts'] as const) {
    for (;;) {
      const ids = (await db.selectFrom(table).select('call_id').distinct().where('at', '<', cutoff).limit(batch).execute()).map((r) => r.call_id);
      if (ids.length === 0) break;
      await db.deleteFrom(table).where('call_id', 'in', ids).where('at', '<', cutoff).execute();
      if (ids.length < batch) break;
      await yieldToOthers();
    }
  }
  for (;;) {
    const ids = (
      await db.selectFrom('webhook_deliveries').select('id').where('status', 'in', ['delivered', 'failed']).where('created_at', '<', cutoff).limit(batch).execute()
    ).map((r) => r.id);
    if (ids.length === 0) break;
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('webhook_attempts').where('delivery_id', 'in', ids).execute();
      await trx.deleteFrom('webhook_deliveries').where('id', 'in', ids).execute();
    });
    result.webhookDeliveries += ids.length;
    if (ids.length < batch) break;
    await yieldToOthers();
  }
  return result;
}

/** Between batches the write queue (and API reads) get the connection. */
function yieldToOthers(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Purges now (not awaited by the caller) and every day; stop() cancels the timer and waits for a running purge. */
export function scheduleRetention(db: Kysely<Database>, retentionDays: number, logger: Logger, now: () => number = Date.now): { stop(): Promise<void> } {
  if (retentionDays <= 0) return { stop: async () => undefined };
  let running: Promise<void> | undefined;
  const run = (): void => {
    if (running !== undefined) return;
    running = purgeExpired(db, retentionDays, now())
      .then((r) => {
        if (r.calls > 0 || r.webhookDeliveries > 0) logger.info({ ...r, retentionDays }, 'store: purged records past retention');
      })
      .catch((err: unknown) => logger.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, 'store: retention purge failed (retried tomorrow)'))
      .finally(() => (running = undefined));
  };
  const first = setTimeout(run, 1_000);
  first.unref();
  const daily = setInterval(run, DAY_MS);
  daily.unref();
  return {
    stop: async () => {
      clearTimeout(first);
      clearInterval(daily);
      await running;
    },
  };
}
