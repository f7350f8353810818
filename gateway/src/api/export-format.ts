/**
 * The history's exports: CSV (RFC 4180: a header row, CRLF line ends, fields quoted when they hold a comma, a quote
 * or a line break, quotes doubled) and NDJSON (one JSON record per line). Both are written batch by batch from an
 * async source, so a large range streams in bounded memory. The CSV columns are one table, documented in
 * docs/call-history.md.
 */
import { Readable } from 'node:stream';
import type { ApiCallRecord } from './history-schemas.js';

type Cell = string | number | boolean | null | undefined;

export const CSV_COLUMNS: readonly (readonly [string, (r: ApiCallRecord) => Cell])[] = [
  ['id', (r) => r.id],
  ['live', (r) => r.live],
  ['direction', (r) => r.direction],
  ['status', (r) => r.status],
  ['from', (r) => r.from],
  ['to', (r) => r.to],
  ['number', (r) => r.number],
  ['trunk', (r) => r.trunk],
  ['agent_kind', (r) => r.agent.kind],
  ['agent_target', (r) => r.agent.target],
  ['codec', (r) => r.codec],
  ['created_at', (r) => r.createdAt],
  ['ringing_at', (r) => r.ringingAt],
  ['answered_at', (r) => r.answeredAt],
  ['ended_at', (r) => r.endedAt],
  ['ring_ms', (r) => r.ringMs],
  ['talk_ms', (r) => r.talkMs],
  ['disposition', (r) => r.disposition],
  ['sip_status', (r) => r.sipStatus],
  ['end_reason', (r) => r.endReason],
  ['transfer_target', (r) => r.transfer?.target],
  ['transfer_outcome', (r) => r.transfer?.outcome],
  ['dtmf_count', (r) => r.dtmfCount],
  ['barge_ins', (r) => r.bargeIns],
  ['turns', (r) => r.turns],
  ['turn_p50_ms', (r) => r.turnLatencyMs?.p50],
  ['turn_p95_ms', (r) => r.turnLatencyMs?.p95],
  ['packets_expected', (r) => r.quality?.packetsExpected],
  ['packets_lost', (r) => r.quality?.packetsLost],
  ['jitter_ms', (r) => r.quality?.jitterMs],
  ['mos', (r) => r.quality?.mos],
  ['stage_stt_ms', (r) => r.stages?.stt],
  ['stage_llm_ms', (r) => r.stages?.llm],
  ['stage_tts_ms', (r) => r.stages?.tts],
  ['stage_realtime_ms', (r) => r.stages?.realtime],
  ['recording', (r) => r.recording],
  ['routing_source', (r) => r.routing?.source],
];

export function csvField(value: Cell): string {
  if (value === null || value === undefined) return '';
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvHeader = (): string => `${CSV_COLUMNS.map(([name]) => csvField(name)).join(',')}\r\n`;
export const csvRow = (r: ApiCallRecord): string => `${CSV_COLUMNS.map(([, get]) => csvField(get(r))).join(',')}\r\n`;
export const ndjsonRow = (r: ApiCallRecord): string => `${JSON.stringify(r)}\n`;

export const EXPORT_CONTENT_TYPES = { csv: 'text/csv; charset=utf-8', ndjson: 'application/x-ndjson' } as const;

/** The export as a stream: one chunk per batch (the header first for CSV). */
export function exportStream(format: 'csv' | 'ndjson', batches: AsyncIterable<readonly ApiCallRecord[]>): Readable {
  const row = format === 'csv' ? csvRow : ndjsonRow;
  async function* chunks(): AsyncGenerator<string> {
    if (format === 'csv') yield csvHeader();
    for await (const batch of batches) yield batch.map(row).join('');
  }
  return Readable.from(chunks(), { objectMode: false });
}

/** The format an `Accept` header asks for among ours (its first listed that we make), or undefined. */
export function formatFromAccept(accept: string | undefined): 'json' | 'csv' | 'ndjson' | undefined {
  if (accept === undefined) return undefined;
  const ranked = accept
    .split(',')
    .map((part, i) => {
      const [type = '', ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { type: type.trim(), q: q === undefined ? 1 : Number(q.slice(2)), i };
    })
    .filter((t) => Number.isFinite(t.q) && t.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const { type } of ranked) {
    if (type === 'text/csv') return 'csv';
    if (type === 'application/x-ndjson' || type === 'application/ndjson') return 'ndjson';
    if (type === 'application/json' || type === '*/*' || type === 'application/*') return 'json';
  }
  return undefined;
}
