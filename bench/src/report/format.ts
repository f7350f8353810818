/**
 * Number formatting, escaping and hop labels shared by the Markdown and SVG renderers. Pure functions.
 */
import type { BenchOptions, Hops } from './types.js';

export interface HopLabel {
  key: keyof Hops;
  label: string;
  /** Where the figure is taken, for the Markdown notes column. */
  where: string;
}

/** The hops in call order, with the words people read. */
export const HOP_LABELS: readonly HopLabel[] = [
  { key: 'setupMs', label: 'Call setup', where: 'INVITE → 200 OK, at the load generator' },
  { key: 'uplinkMs', label: 'Uplink', where: 'RTP in → WebSocket frame out, in the gateway' },
  { key: 'downlinkMs', label: 'Downlink', where: 'agent frame in → RTP out, in the gateway' },
  { key: 'roundTripMs', label: 'Round trip', where: 'caller audio → echo back, at the load generator' },
  { key: 'turnMs', label: 'Turn', where: 'end of speech → first agent audio, at the load generator' },
  { key: 'bargeInMs', label: 'Barge-in', where: 'speech onset → last agent packet, at the load generator' },
];

/** The dash shown for a figure that was not measured. */
export const DASH = '—';

/**
 * A latency in ms with about three significant figures: 1234 → "1234", 12.34 → "12.3", 1.234 → "1.23",
 * 0.01234 → "0.0123". Never exponential notation for values a bench can produce.
 */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return DASH;
  if (ms === 0) return '0';
  const abs = Math.abs(ms);
  if (abs >= 100) return ms.toFixed(0);
  if (abs < 1e-6) return ms.toExponential(1);
  return ms.toPrecision(3);
}

/** A count with thousands separators: 1193412 → "1,193,412". */
export function formatCount(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : DASH;
}

/** A number with a fixed count of decimals, or the dash if it is not finite. */
export function formatFixed(value: number, decimals: number): string {
  return Number.isFinite(value) ? value.toFixed(decimals) : DASH;
}

/** gateway / floor as "2.4×", or the dash when the floor is missing or zero. */
export function formatRatio(value: number, floor: number | undefined): string {
  if (floor === undefined || !Number.isFinite(floor) || floor <= 0 || !Number.isFinite(value)) return DASH;
  const ratio = value / floor;
  return `${ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(1)}×`;
}

/** An ISO timestamp as "2025-11-21 10:14 UTC"; anything unparsable is returned as given. */
export function formatDate(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const d = new Date(t).toISOString();
  return `${d.slice(0, 10)} ${d.slice(11, 16)} UTC`;
}

/** The date part (YYYY-MM-DD) of an ISO timestamp, for file names; "undated" if it does not parse. */
export function datePart(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 'undated' : new Date(t).toISOString().slice(0, 10);
}

/** Text safe inside XML element content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Text safe inside a Markdown table cell: no pipes breaking columns, no raw HTML, one line. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\r\n]+/g, ' ');
}

/** A word for a POSIX shell: as it is when it has nothing special in it, else single-quoted. */
export function shellWord(text: string): string {
  return /^[A-Za-z0-9._\/-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command that reproduces a run (with its name, when given). The flag names are the bench CLI's (`cli.ts`);
 * keep the two in step: the mode is `--ramp` or nothing.
 */
export function benchCommand(options: BenchOptions, name?: string): string {
  const flags = [
    `--calls ${options.calls}`,
    `--rate ${options.rate}`,
    `--duration ${options.durationS}`,
    options.rampCodecs === undefined ? `--codec ${options.codec}` : `--codecs ${options.rampCodecs.join(',')}`,
    `--agent ${options.agent}`,
  ];
  if (options.workerCounts !== undefined && options.workerCounts.length > 1) flags.push(`--workers ${options.workerCounts.join(',')}`);
  else if (options.workers !== undefined && options.workers !== 0) flags.push(`--workers ${options.workers}`);
  if (options.bargeIn !== undefined && options.bargeIn !== 'default') flags.push(`--barge-in ${options.bargeIn}`);
  if (options.pin === true) flags.push('--pin');
  if (options.mode === 'ramp') flags.push('--ramp');
  if (options.direction !== undefined && options.direction !== 'inbound') flags.push(`--direction ${options.direction}`);
  if (options.records !== undefined) flags.push(`--records ${options.records}`);
  if (options.srtp !== undefined) flags.push(`--srtp ${options.srtp}`);
  if (options.repeat !== undefined && options.repeat > 1) flags.push(`--repeat ${options.repeat}`);
  if (name !== undefined) flags.push(`--name ${shellWord(name)}`);
  return `npm run bench -- ${flags.join(' ')}`;
}
