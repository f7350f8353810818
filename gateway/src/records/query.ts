/**
 * Reading the call history (reads only; records/builder.ts writes): a page of stored records with filters, newest
 * first, by keyset on (created_at, id); one call's detail with its timeline and transcript. Every list query walks
 * one of migration 0001's indexes — `calls_created (created_at, id)` without a filter, or the filter's own
 * `(column, created_at)` index (number pattern, to, from, disposition, trunk) — and stops after `limit + 1` rows,
 * so a page costs the same on the first page and the ten-thousandth.
 */
import type { CompiledQuery, Kysely, SelectQueryBuilder } from 'kysely';
import type { CallDirection } from '../call/plan.js';
import { DISPOSITIONS, type CallStatus, type Disposition } from '../call/vocabulary.js';
import type { CallsTable, Database } from '../store/schema.js';
import { analytics, type AnalyticsQuery, type NumberPeriod } from './analytics.js';
import type { CursorKey } from './cursor.js';
import type { CallDetail, CallRecord } from './record.js';
import { detailOf, rowsToTimeline, rowsToTranscript, rowToRecord } from './rows.js';

/** What a list may be narrowed by; every field given must match. Times are epoch ms. */
export interface HistoryFilter {
  /** The routing pattern the call matched (a `numbers:` key). */
  number?: string;
  from?: string;
  to?: string;
  direction?: CallDirection;
  status?: CallStatus;
  disposition?: Disposition;
  trunk?: string;
  /** created_at ≥ this. */
  createdFrom?: number;
  /** created_at < this. */
  createdTo?: number;
}

export interface StoredPage {
  records: CallRecord[];
  /** More stored records match after the last one. */
  more: boolean;
}

export const MAX_PAGE = 500;

const FINAL = new Set<string>(DISPOSITIONS);
const pageSize = (limit: number): number => Math.max(1, Math.min(MAX_PAGE, Math.floor(limit)));

export class CallHistoryQuery {
  constructor(private readonly db: Kysely<Database>) {}

  /** Up to `limit` stored records matching `filter`, strictly after `after` in the order (newest first). */
  async list(filter: HistoryFilter, limit: number, after?: CursorKey): Promise<StoredPage> {
    const n = pageSize(limit);
    const q = this.listQuery(filter, n, after);
    if (q === undefined) return { records: [], more: false };
    const rows = await q.execute();
    return { records: rows.slice(0, n).map((r) => rowToRecord(normalizeRow(r))), more: rows.length > n };
  }

  /** The SQL `list` runs (the bench prints its plan); undefined when the filter can match no stored call. */
  compileList(filter: HistoryFilter, limit: number, after?: CursorKey): CompiledQuery | undefined {
    return this.listQuery(filter, pageSize(limit), after)?.compile();
  }

  private listQuery(filter: HistoryFilter, n: number, after: CursorKey | undefined) {
    const disposition = storedDisposition(filter);
    if (disposition === null) return undefined;
    let q = this.db.selectFrom('calls').selectAll();
    q = narrow(q, filter, disposition);
    if (after !== undefined) {
      // Written as a range on created_at plus a tie-break, so every index leading with (…, created_at) serves it.
      q = q.where((eb) => eb.and([eb('created_at', '<=', after.createdAt), eb.or([eb('created_at', '<', after.createdAt), eb('id', '<', after.id)])]));
    }
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(n + 1);
  }

  /** One stored call with its timeline and transcript, or undefined. */
  async detail(id: string): Promise<CallDetail | undefined> {
    const row = await this.db.selectFrom('calls').selectAll().where('id', '=', id).executeTakeFirst();
    if (row === undefined) return undefined;
    const [events, lines] = await Promise.all([
      this.db.selectFrom('call_events').selectAll().where('call_id', '=', id).orderBy('seq').execute(),
      this.db.selectFrom('call_transcripts').selectAll().where('call_id', '=', id).orderBy('seq').execute(),
    ]);
    return detailOf(
      rowToRecord(normalizeRow(row)),
      rowsToTimeline(events.map((e) => ({ ...e, at: Number(e.at), seq: Number(e.seq) }))),
      rowsToTranscript(lines.map((l) => ({ ...l, at: Number(l.at), seq: Number(l.seq), final: Number(l.final) }))),
    );
  }
}

/**
 * Stored records are ended calls: their status is their disposition. A live status (`queued`, `ringing`,
 * `answered`) matches none of them (`null`); a final one is the indexed `disposition` column.
 */
function storedDisposition(f: HistoryFilter): string | undefined | null {
  if (f.status !== undefined && !FINAL.has(f.status)) return null;
  if (f.status !== undefined && f.disposition !== undefined && f.status !== f.disposition) return null;
  return f.disposition ?? f.status;
}

function narrow<O>(q: SelectQueryBuilder<Database, 'calls', O>, f: HistoryFilter, disposition: string | undefined): SelectQueryBuilder<Database, 'calls', O> {
  let out = q;
  if (f.number !== undefined) out = out.where('number_pattern', '=', f.number);
  if (f.to !== undefined) out = out.where('to_number', '=', f.to);
  if (f.from !== undefined) out = out.where('from_number', '=', f.from);
  if (disposition !== undefined) out = out.where('disposition', '=', disposition);
  if (f.trunk !== undefined) out = out.where('trunk', '=', f.trunk);
  if (f.direction !== undefined) out = out.where('direction', '=', f.direction);
  if (f.createdFrom !== undefined) out = out.where('created_at', '>=', f.createdFrom);
  if (f.createdTo !== undefined) out = out.where('created_at', '<', f.createdTo);
  return out;
}

/** PostgreSQL returns bigint columns as strings: numbers again, as the row type says. */
function normalizeRow(row: CallsTable): CallsTable {
  return {
    ...row,
    created_at: Number(row.created_at),
    ringing_at: numOrNull(row.ringing_at),
    answered_at: numOrNull(row.answered_at),
    ended_at: numOrNull(row.ended_at),
  };
}

const numOrNull = (v: number | null): number | null => (v === null ? null : Number(v));

/** What the API reads the history through: the list and detail queries, and the analytics. */
export interface HistorySource {
  readonly query: CallHistoryQuery;
  analytics(q: AnalyticsQuery): Promise<NumberPeriod[]>;
}

/** The history over an opened store (store/types.ts Store: its query builder and dialect). */
export function historyOf(store: { readonly db: Kysely<Database>; readonly dialect: 'sqlite' | 'postgres' }): HistorySource {
  return { query: new CallHistoryQuery(store.db), analytics: (q) => analytics(store.db, store.dialect, q) };
}
