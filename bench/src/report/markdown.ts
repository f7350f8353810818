/**
 * A bench result as Markdown for people: what ran where, latency per hop, quality, cost against the floor,
 * targets, the ramp (with the largest concurrency held) and micro-benchmarks, the run's notes, and the command that
 * reproduces it. Pure: result in, string out.
 */
import {
  DASH,
  HOP_LABELS,
  benchCommand,
  escapeMarkdown,
  formatDate,
  formatCount,
  formatFixed,
  formatMs,
  formatRatio,
} from './format.js';
import { directionsSection } from './directions.js';
import { rampReport } from './ramp.js';
import { recordsSection } from './records.js';
import { srtpSection } from './srtp.js';
import { variantsSection } from './variants.js';
import type { BenchReport, BenchResult, CostFigures, Distribution } from './types.js';

/** One Markdown table; every cell must already be escaped. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]): string {
  const rule = header.map((_, i) => (align?.[i] === 'r' ? '---:' : '---'));
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(rule), ...rows.map(line)].join('\n');
}

function distributionCells(d: Distribution): string[] {
  if (d.count === 0) return [DASH, DASH, DASH, DASH, '0'];
  return [formatMs(d.p50), formatMs(d.p95), formatMs(d.p99), formatMs(d.max), formatCount(d.count)];
}

function heading(result: BenchResult): string {
  const { machine: m, options: o } = result;
  const lines = [
    `# Bench: ${escapeMarkdown(result.name)}`,
    '',
    `- **Started:** ${escapeMarkdown(formatDate(result.startedAt))}, ran ${formatFixed(result.durationS, 0)} s`,
    `- **Machine:** ${escapeMarkdown(m.cpuModel)} (${m.cores} cores), ${formatFixed(m.memGiB, 1)} GiB RAM, ` +
      `Node ${escapeMarkdown(m.node)}, ${escapeMarkdown(m.os)}`,
    `- **Options:** ${o.calls} calls at ${o.rate} new/s for ${o.durationS} s, codec ${o.codec}, ` +
      `${o.agent} agent, ${o.workers ?? 0} media workers, ${o.mode} mode`,
  ];
  return lines.join('\n');
}

function hopsSection(result: BenchResult): string {
  const rows = HOP_LABELS.map(({ key, label, where }) => {
    const d = result.hops[key];
    return [label, ...distributionCells(d), d.count === 0 ? 'not measured' : escapeMarkdown(where)];
  });
  return [
    '## Latency per hop (ms)',
    '',
    table(['Hop', 'p50', 'p95', 'p99', 'max', 'count', 'Measured'], rows, ['l', 'r', 'r', 'r', 'r', 'r', 'l']),
  ].join('\n');
}

function qualitySection(result: BenchResult): string {
  const q = result.quality;
  const j = q.jitterMs;
  const jitter = j.count === 0 ? 'not measured' : `p50 ${formatMs(j.p50)}, p95 ${formatMs(j.p95)}, p99 ${formatMs(j.p99)}, max ${formatMs(j.max)} ms`;
  return [
    '## Quality',
    '',
    table(
      ['Measure', 'Value'],
      [
        ['Packets sent', formatCount(q.packetsSent)],
        ['Packets received', formatCount(q.packetsReceived)],
        ['Loss', `${formatFixed(q.lossPct, 2)} %`],
        ['Jitter', jitter],
      ],
    ),
  ].join('\n');
}

function costSection(result: BenchResult): string {
  const g = result.gateway;
  const f = result.floor;
  const costRow = (label: string, key: keyof CostFigures, decimals: number): string[] => [
    label,
    formatFixed(g[key], decimals),
    f === undefined ? DASH : formatFixed(f[key], decimals),
    formatRatio(g[key], f?.[key]),
  ];
  const rows = [
    costRow('CPU ms per call-second', 'cpuMsPerCallSecond', 2),
    costRow('RSS MiB per call', 'rssMiBPerCall', 2),
    costRow('RSS MiB total', 'rssMiB', 0),
  ];
  if (f !== undefined) {
    for (const [label, gd, fd] of [
      ['Uplink p99 ms', result.hops.uplinkMs, f.uplinkMs],
      ['Downlink p99 ms', result.hops.downlinkMs, f.downlinkMs],
    ] as const) {
      const measured = gd.count > 0 && fd.count > 0;
      rows.push([
        label,
        gd.count > 0 ? formatMs(gd.p99) : DASH,
        fd.count > 0 ? formatMs(fd.p99) : DASH,
        measured ? formatRatio(gd.p99, fd.p99) : DASH,
      ]);
    }
  }
  const parts = ['## Cost', '', table(['Measure', 'Gateway', 'Floor', 'Ratio'], rows, ['l', 'r', 'r', 'r'])];
  parts.push(
    '',
    f === undefined
      ? '_No floor was measured in this run, so there is no ratio._'
      : '_Floor: the same load through a minimal UDP → WebSocket → UDP relay in Node, in the same run. ' +
          'Ratio = gateway ÷ floor._',
  );
  return parts.join('\n');
}

function targetsSection(result: BenchResult): string {
  if (result.targets.length === 0) return '## Targets\n\n_No targets were checked._';
  const rows = result.targets.map((t) => [
    t.pass ? '✅' : '❌',
    escapeMarkdown(t.name),
    escapeMarkdown(t.target),
    escapeMarkdown(t.measured),
  ]);
  const failed = result.targets.filter((t) => !t.pass).length;
  const summary = failed === 0 ? `All ${result.targets.length} targets met.` : `${failed} of ${result.targets.length} targets missed.`;
  return ['## Targets', '', summary, '', table(['Met', 'Target', 'Goal', 'Measured'], rows)].join('\n');
}

/** `extra[key]` when it is a finite number. */
function extraNumber(result: BenchReport, key: string): number | undefined {
  const v = result.extra?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** `extra[key]` when it is an object of finite numbers (other entries left out). */
function extraNumbers(result: BenchReport, key: string): Record<string, number> {
  const v = result.extra?.[key];
  if (typeof v !== 'object' || v === null) return {};
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1])));
}

function rampSection(result: BenchReport): string | undefined {
  const judged = rampReport(result.rampCapacity);
  if (judged !== undefined) return judged;
  // Results from before the caller-side verdict: gateway-side figures only.
  if (result.ramp === undefined || result.ramp.length === 0) return undefined;
  const held = extraNumber(result, 'rampMaxHeld');
  const reason = result.extra?.['rampStopReason'];
  const heldLine = held === undefined ? [] : [
    `**Largest concurrency held: ${formatCount(held)} calls**` +
      (typeof reason === 'string' ? ` (stopped: ${escapeMarkdown(reason)})` : '') + '.',
    '',
  ];
  const rows = result.ramp.map((s) => [
    String(s.concurrency),
    formatFixed(s.lossPct, 2),
    formatMs(s.uplinkP99Ms),
    formatFixed(s.cpuMsPerCallSecond, 2),
  ]);
  return [
    '## Ramp',
    '',
    ...heldLine,
    table(['Concurrent calls', 'Loss %', 'Uplink processing p99 ms', 'CPU ms per call-second'], rows, ['r', 'r', 'r', 'r']),
  ].join('\n');
}

function microSection(result: BenchReport): string | undefined {
  const entries = Object.entries(result.micro ?? {});
  if (entries.length === 0) return undefined;
  // `extra.microTimesFloor`: each figure ÷ copying a frame at the same rate, measured in the same run.
  const ratios = extraNumbers(result, 'microTimesFloor');
  const withRatio = Object.keys(ratios).length > 0;
  const rows = entries.map(([name, us]) => {
    const cells = [escapeMarkdown(name), formatMs(us)];
    if (withRatio) {
      const r = ratios[name];
      cells.push(r === undefined ? DASH : `${formatFixed(r, r >= 10 ? 0 : 1)}×`);
    }
    return cells;
  });
  return [
    '## Micro-benchmarks',
    '',
    withRatio
      ? table(['Benchmark', 'µs per frame (or op)', '× copy floor'], rows, ['l', 'r', 'r'])
      : table(['Benchmark', 'µs per frame (or op)'], rows, ['l', 'r']),
  ].join('\n');
}

function notesSection(result: BenchReport): string | undefined {
  const notes = result.notes ?? [];
  if (notes.length === 0) return undefined;
  return ['## Notes', '', ...notes.map((n) => `- ${escapeMarkdown(n)}`)].join('\n');
}

/** Charts to embed, as paths relative to where the Markdown file will live. */
export interface MarkdownCharts {
  latencySvg?: string;
  rampSvg?: string;
}

/** A Markdown image link; the path is percent-encoded where Markdown would misread it. */
function image(alt: string, path: string): string {
  return `![${alt}](${encodeURI(path).replace(/\(/g, '%28').replace(/\)/g, '%29')})`;
}

/** The whole report, with the charts embedded when their paths are given. Ends with a newline. */
export function renderMarkdown(result: BenchReport, charts: MarkdownCharts = {}): string {
  const sections = [
    heading(result),
    charts.latencySvg === undefined ? undefined : image('Latency per hop', charts.latencySvg),
    hopsSection(result),
    directionsSection(result.directions),
    recordsSection(result.records, result.floor),
    srtpSection(result.srtp, result.floor),
    variantsSection(result.variants, result.floor, result.options.pin === true),
    qualitySection(result),
    costSection(result),
    targetsSection(result),
    rampSection(result),
    charts.rampSvg === undefined || result.ramp === undefined || result.ramp.length === 0
      ? undefined
      : image('CPU and uplink p99 against concurrency', charts.rampSvg),
    microSection(result),
    notesSection(result),
    ['## Reproduce', '', '```sh', benchCommand(result.options, result.name), '```'].join('\n'),
  ];
  return `${sections.filter((s): s is string => s !== undefined).join('\n\n')}\n`;
}
