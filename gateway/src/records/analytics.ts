/**
 * Per-number figures over a period, computed in the database in SQL both engines run (SQLite and PostgreSQL):
 * `GET /v1/analytics`. Calls are grouped by the routing pattern they matched and by the UTC bucket their
 * created_at falls in (`hour`, `day`, `week` from Monday 00:00 UTC, or `total`: one bucket for the whole range).
 *
 * Counts, sums and averages are aggregates. Percentiles are exact nearest-rank values (the ⌈p·n⌉-th smallest),
 * picked with ROW_NUMBER() and COUNT() window functions over the group: no interpolation, no approximation, and
 * only one row per group and percentile leaves the database. Turn latency percentiles are over every turn of the
 * group's calls (the `turn` entries of their timelines), not an average of per-call percentiles.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { DISPOSITIONS, type Disposition } from '../call/vocabulary.js';
import type { Database } from '../store/schema.js';

export const ANALYTICS_INTERVALS = ['hour', 'day', 'week', 'total'] as const;
export type AnalyticsInterval = (typeof ANALYTICS_INTERVALS)[number];

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** 1970-01-01 was a Thursday: weeks start 4 days later, on Monday. */
const WEEK_OFFSET_MS = 4 * DAY_MS;
/** At most this many buckets per request (a year of days, or five weeks of hours). */
export const MAX_BUCKETS = 1000;

export const INTERVAL_MS: Readonly<Record<Exclude<AnalyticsInterval, 'total'>, number>> = { hour: HOUR_MS, day: DAY_MS, week: 7 * DAY_MS };

export interface AnalyticsQuery {
  /** One routing pattern; all when absent. */
  number?: string;
  /** Epoch ms: created_at ≥ from and < to. */
  from: number;
  to: number;
  interval: AnalyticsInterval;
}

export interface NumberPeriod {
  number: string;
  /** The bucket's start, epoch ms (the range's start for `total`). */
  start: number;
  calls: number;
  byDisposition: Record<Disposition, number>;
  answered: number;
  /** answered / calls. */
  answerRate: number;
  /** Over answered calls; null without one. */
  talkMs: { avg: number; p95: number } | null;
  /** Over every turn of the group's calls; null without one. */
  turnLatencyMs: { p50: number; p95: number } | null;
  /** Answered calls with at least one barge-in / answered calls (null without an answered call). */
  bargeInRate: number | null;
  /** Calls whose transfer was accepted / answered calls (null without an answered call). */
  transferRate: number | null;
  /** Mean MOS of the calls that have one; null without one. */
  mosAvg: number | null;
}

export class AnalyticsError extends Error {
  override readonly name = 'AnalyticsError';
  readonly code = 'FILTER_INVALID';
}

/** Validates the range: from < to and at most MAX_BUCKETS buckets. @throws AnalyticsError */
export function checkRange(q: AnalyticsQuery): void {
  if (!(q.from < q.to)) throw new AnalyticsError('`from` must be before `to`');
  if (q.interval === 'total') return;
  const buckets = Math.ceil((q.to - q.from) / INTERVAL_MS[q.interval]);
  if (buckets > MAX_BUCKETS) throw new AnalyticsError(`${buckets} ${q.interval} buckets asked; at most ${MAX_BUCKETS}: a shorter range or a longer interval`);
}

export async function analytics(db: Kysely<Database>, dialect: 'sqlite' | 'postgres', q: AnalyticsQuery): Promise<NumberPeriod[]> {
  checkRange(q);
  const bucket = bucketOf(q, sql.ref('c.created_at'));
  const where = whereOf(q);
  const totals = await sql<{ num: string; bucket: unknown; calls: unknown; answered: unknown; barged: unknown; transferred: unknown; talk_avg: unknown; mos_avg: unknown }>`
    SELECT c.number_pattern AS num, ${bucket} AS bucket, COUNT(*) AS calls,
      SUM(CASE WHEN c.answered_at IS NOT NULL THEN 1 ELSE 0 END) AS answered,
      SUM(CASE WHEN c.answered_at IS NOT NULL AND c.barge_ins > 0 THEN 1 ELSE 0 END) AS barged,
      SUM(CASE WHEN c.answered_at IS NOT NULL AND c.transfer_outcome = 'accepted' THEN 1 ELSE 0 END) AS transferred,
      AVG(c.talk_ms) AS talk_avg, AVG(c.mos) AS mos_avg
    FROM calls c WHERE ${where} GROUP BY 1, 2`.execute(db);
  const dispositions = await sql<{ num: string; bucket: unknown; disposition: string | null; n: unknown }>`
    SELECT c.number_pattern AS num, ${bucket} AS bucket, c.disposition AS disposition, COUNT(*) AS n
    FROM calls c WHERE ${where} GROUP BY 1, 2, 3`.execute(db);
  const talk = await percentiles(db, sql`SELECT c.number_pattern AS num, ${bucket} AS bucket, c.talk_ms AS x FROM calls c WHERE ${where} AND c.talk_ms IS NOT NULL`, [95]);
  const latency = sql`CAST(${jsonField(dialect, sql.ref('e.data_json'), 'latencyMs')} AS DOUBLE PRECISION)`;
  const turns = await percentiles(
    db,
    sql`SELECT c.number_pattern AS num, ${bucket} AS bucket, ${latency} AS x FROM calls c JOIN call_events e ON e.call_id = c.id WHERE ${where} AND e.type = 'turn' AND ${latency} IS NOT NULL`,
    [50, 95],
  );

  const out = new Map<string, NumberPeriod>();
  for (const t of totals.rows) {
    const calls = Number(t.calls);
    const answered = Number(t.answered);
    const k = key(t.num, t.bucket);
    const talkP95 = talk.get(k)?.get(95);
    const turnP50 = turns.get(k)?.get(50);
    const turnP95 = turns.get(k)?.get(95);
    out.set(k, {
      number: t.num,
      start: Number(t.bucket),
      calls,
      byDisposition: Object.fromEntries(DISPOSITIONS.map((d) => [d, 0])) as Record<Disposition, number>,
      answered,
      answerRate: calls === 0 ? 0 : answered / calls,
      talkMs: t.talk_avg === null || talkP95 === undefined ? null : { avg: Number(t.talk_avg), p95: talkP95 },
      turnLatencyMs: turnP50 === undefined || turnP95 === undefined ? null : { p50: turnP50, p95: turnP95 },
      bargeInRate: answered === 0 ? null : Number(t.barged) / answered,
      transferRate: answered === 0 ? null : Number(t.transferred) / answered,
      mosAvg: t.mos_avg === null ? null : Number(t.mos_avg),
    });
  }
  for (const d of dispositions.rows) {
    const period = out.get(key(d.num, d.bucket));
    if (period !== undefined && d.disposition !== null && d.disposition in period.byDisposition) period.byDisposition[d.disposition as Disposition] += Number(d.n);
  }
  return [...out.values()].sort((a, b) => (a.number === b.number ? a.start - b.start : a.number < b.number ? -1 : 1));
}

/** The nearest-rank percentiles `ps` of `x` per (num, bucket) of `source`: key → p → value. */
async function percentiles(db: Kysely<Database>, source: RawBuilder<unknown>, ps: readonly number[]): Promise<Map<string, Map<number, number>>> {
  // rank = ⌈p·n/100⌉ in integer arithmetic both engines share: (p·n + 99) / 100 truncates.
  const ranks = ps.map((p) => sql`r.rn = (${sql.lit(p)} * r.n + 99) / 100`);
  const rows = await sql<{ num: string; bucket: unknown; x: unknown; rn: unknown; n: unknown }>`
    SELECT r.num, r.bucket, r.x, r.rn, r.n FROM (
      SELECT s.num, s.bucket, s.x,
        ROW_NUMBER() OVER (PARTITION BY s.num, s.bucket ORDER BY s.x) AS rn,
        COUNT(*) OVER (PARTITION BY s.num, s.bucket) AS n
      FROM (${source}) s
    ) r WHERE ${sql.join(ranks, sql` OR `)}`.execute(db);
  const out = new Map<string, Map<number, number>>();
  for (const r of rows.rows) {
    const k = key(r.num, r.bucket);
    const byP = out.get(k) ?? new Map<number, number>();
    const n = Number(r.n);
    for (const p of ps) if (Number(r.rn) === Math.floor((p * n + 99) / 100)) byP.set(p, Number(r.x));
    out.set(k, byP);
  }
  return out;
}

function whereOf(q: AnalyticsQuery): RawBuilder<unknown> {
  const range = sql`c.created_at >= ${q.from} AND c.created_at < ${q.to}`;
  return q.number === undefined ? range : sql`c.number_pattern = ${q.number} AND ${range}`;
}

/** The bucket's start: created_at rounded down to the interval (integer arithmetic), or the range's start. */
function bucketOf(q: AnalyticsQuery, createdAt: RawBuilder<unknown>): RawBuilder<unknown> {
  if (q.interval === 'total') return sql`${sql.lit(q.from)}`;
  const width = INTERVAL_MS[q.interval];
  const offset = q.interval === 'week' ? WEEK_OFFSET_MS : 0;
  return sql`(${createdAt} - ((${createdAt} - ${sql.lit(offset)}) % ${sql.lit(width)}))`;
}

/** A JSON text column's numeric field, read as text: SQLite's json_extract, PostgreSQL's ->>. */
function jsonField(dialect: 'sqlite' | 'postgres', column: RawBuilder<unknown>, field: string): RawBuilder<unknown> {
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(field)) throw new Error(`not a plain JSON field name: ${field}`);
  return dialect === 'sqlite' ? sql`json_extract(${column}, ${sql.lit(`$.${field}`)})` : sql`(CAST(${column} AS json) ->> ${sql.lit(field)})`;
}

const key = (num: string, bucket: unknown): string => `${num}\u0000${Number(bucket)}`;
