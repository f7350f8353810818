/**
 * The call history the API serves: live calls from the call core (CallControl) merged with ended calls from the
 * store (records/query.ts), in one order — newest first by (createdAt, id) — so one keyset cursor pages through
 * both. A call keeps its key from admission to its stored record: whether it ends between two pages or not, it
 * shows once. Live calls win over a stored row with the same id; a call that just ended shows by the core's summary
 * until its record is stored, then by the record. Without a store (`query` absent): live and recently ended calls.
 */
import { BUILTIN_AGENTS } from '../config.js';
import { compareKeys, isAfter, type CursorKey } from '../records/cursor.js';
import { MAX_PAGE, type CallHistoryQuery, type HistoryFilter } from '../records/query.js';
import type { CallDetail, CallRecord } from '../records/record.js';
import type { CallControl, CallSummary } from './call-control.js';
import type { ApiCallDetail, ApiCallRecord } from './history-schemas.js';
import { apiSummary } from './core-adapter.js';

export interface HistoryPage {
  calls: ApiCallRecord[];
  /** The last call's key when more match after it. */
  next: CursorKey | null;
}

/** Calls read per batch by an export (one store page). */
export const EXPORT_BATCH = MAX_PAGE;

export class CallHistory {
  constructor(
    private readonly control: CallControl,
    private readonly query: CallHistoryQuery | undefined,
    private readonly builtins: readonly string[] = BUILTIN_AGENTS,
  ) {}

  /** Whether ended calls come from a store (else the list is live calls only). */
  get stored(): boolean {
    return this.query !== undefined;
  }

  async page(filter: HistoryFilter, limit: number, after?: CursorKey): Promise<HistoryPage> {
    const allLive = this.control.listCalls({});
    const live = allLive
      .filter((c) => matchesLive(c, filter))
      .map((c) => ({ key: keyOf(c), call: fromSummary(c, true) }))
      .filter((c) => after === undefined || isAfter(c.key, after));
    const stored = this.query === undefined ? { records: [], more: false } : await this.query.list(filter, limit, after);
    // A stored row of a call still live (a builder may write early) is hidden even when only the row matches.
    const liveIds = new Set(allLive.map((c) => c.id));
    const storedIds = new Set(stored.records.map((r) => r.id));
    // A call that just ended shows from the core's recent summaries until its record is stored. Deduping against
    // this batch of rows is enough: a row with the same key that is not in it lies past `limit` rows, so the summary
    // falls off this page too.
    const ended = this.control
      .recentlyEnded()
      .filter((c) => !liveIds.has(c.id) && !storedIds.has(c.id) && matchesLive(c, filter))
      .map((c) => ({ key: keyOf(c), call: fromSummary(c, false) }))
      .filter((c) => after === undefined || isAfter(c.key, after));
    const merged = [
      ...live,
      ...stored.records.filter((r) => !liveIds.has(r.id)).map((r) => ({ key: { createdAt: Date.parse(r.createdAt), id: r.id }, call: this.fromRecord(r) })),
      ...ended,
    ].sort((a, b) => compareKeys(a.key, b.key));
    const page = merged.slice(0, limit);
    const last = page.at(-1);
    const more = stored.more || merged.length > limit;
    return { calls: page.map((c) => c.call), next: more && last !== undefined ? last.key : null };
  }

  /** Every matching call from `after` on, in batches: an export's rows without holding them all. */
  async *batches(filter: HistoryFilter, after?: CursorKey): AsyncGenerator<ApiCallRecord[]> {
    let cursor = after;
    for (;;) {
      const { calls, next } = await this.page(filter, EXPORT_BATCH, cursor);
      if (calls.length > 0) yield calls;
      if (next === null) return;
      cursor = next;
    }
  }

  /**
   * A live call's summary; an ended call's stored detail (timeline, transcript); or, while its record is not
   * written yet, the recently ended call's summary from the call core.
   */
  async detail(id: string): Promise<ApiCallDetail | undefined> {
    const summary = this.control.getCall(id);
    if (summary !== undefined && summary.endedAt === undefined) return fromSummary(summary, true);
    const stored = this.query === undefined ? undefined : await this.query.detail(id);
    if (stored !== undefined) return this.fromDetail(stored);
    return summary === undefined ? undefined : fromSummary(summary, false);
  }

  fromRecord(r: CallRecord): ApiCallRecord {
    return {
      ...apiSummary(r, this.builtins),
      live: false,
      ...(r.ringMs === null ? {} : { ringMs: r.ringMs }),
      ...(r.talkMs === null ? {} : { talkMs: r.talkMs }),
      ...(r.transfer === null ? {} : { transfer: r.transfer }),
      dtmfCount: r.dtmfCount,
      bargeIns: r.bargeIns,
      turns: r.turns,
      ...(r.turnLatencyMs === null ? {} : { turnLatencyMs: r.turnLatencyMs }),
      ...(r.quality === null ? {} : { quality: r.quality }),
      stages: r.stages,
      ...(r.recording === null ? {} : { recording: r.recording }),
      ...(r.routing === null ? {} : { routing: r.routing }),
    };
  }

  private fromDetail(d: CallDetail): ApiCallDetail {
    return { ...this.fromRecord(d), timeline: d.timeline, transcript: d.transcript };
  }
}

function fromSummary(s: CallSummary, live: boolean): ApiCallRecord {
  return { ...s, live };
}

const keyOf = (s: CallSummary): CursorKey => ({ createdAt: Date.parse(s.createdAt), id: s.id });

function matchesLive(s: CallSummary, f: HistoryFilter): boolean {
  const created = Date.parse(s.createdAt);
  return (
    (f.number === undefined || s.number === f.number) &&
    (f.from === undefined || s.from === f.from) &&
    (f.to === undefined || s.to === f.to) &&
    (f.direction === undefined || s.direction === f.direction) &&
    (f.status === undefined || s.status === f.status) &&
    (f.disposition === undefined || s.disposition === f.disposition) &&
    (f.trunk === undefined || s.trunk === f.trunk) &&
    (f.createdFrom === undefined || created >= f.createdFrom) &&
    (f.createdTo === undefined || created < f.createdTo)
  );
}
