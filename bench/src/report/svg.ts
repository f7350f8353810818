/**
 * Bench results as standalone SVG charts (800 px wide, no external resources). Pure: result in, string out.
 *
 * - latencyChart: one row per hop on a log-scale ms axis (hops span µs to tens of ms): a dark bar p50→p95, a light
 *   bar p95→p99, a whisker p99→max; the floor relay's uplink and downlink as a thin grey mark under those hops.
 * - rampChart: two stacked panels against concurrency: CPU ms per call-second (with the floor as a dashed line)
 *   and uplink (processing) p99; steps that lost packets are marked red with their loss.
 */
import { linearAxis, logAxis, type Axis } from './axes.js';
import { HOP_LABELS, formatDate, formatFixed, formatMs } from './format.js';
import { COLORS, el, svgDocument, text, tooltip } from './svg-kit.js';
import type { BenchResult, Distribution, RampStep } from './types.js';

const WIDTH = 800;
/** Steps at or above this loss are drawn red and labelled. */
export const LOSS_MARK_PCT = 0.1;

const AVG_CHAR_PX = 6.4; // 11 px system font, generous, to decide whether a label fits

function subtitle(result: BenchResult): string {
  const o = result.options;
  return `${formatDate(result.startedAt)} · ${o.calls} calls · ${o.codec} · ${o.agent} agent · ${result.machine.cpuModel}`;
}

function header(title: string, result: BenchResult): string[] {
  return [
    text(title, { x: 20, y: 30, 'font-size': 17, 'font-weight': 'bold' }),
    text(subtitle(result), { x: 20, y: 50, 'font-size': 12, fill: COLORS.muted }),
  ];
}

function legendItem(x: number, y: number, swatch: string, label: string): string {
  return el('g', {}, [swatch, text(label, { x: x + 22, y: y + 4, 'font-size': 12, fill: COLORS.muted })]);
}

// ---------------------------------------------------------------------------------------------------------------
// Latency

const LAT = { left: 190, right: 30, top: 96, measuredRow: 50, floorRow: 16, emptyRow: 28, bar: 14 } as const;

function distributionValues(d: Distribution): number[] {
  return d.count === 0 ? [] : [d.p50, d.p95, d.p99, d.max];
}

/** Bars p50→p95→p99 and a whisker to max, centred on `y`. */
function distributionMarks(d: Distribution, y: number, height: number, x: (v: number) => number, floor: boolean): string[] {
  const x50 = x(d.p50);
  const x95 = Math.max(x(d.p95), x50 + 1);
  const x99 = Math.max(x(d.p99), x95 + 1);
  const xMax = Math.max(x(d.max), x99);
  const top = y - height / 2;
  const dark = floor ? COLORS.floor : COLORS.p50to95;
  const light = floor ? COLORS.floor : COLORS.p95to99;
  const tail = floor ? COLORS.floor : COLORS.tail;
  return [
    el('line', { x1: x99, y1: y, x2: xMax, y2: y, stroke: tail, 'stroke-width': floor ? 1 : 1.5 }),
    el('line', { x1: xMax, y1: top, x2: xMax, y2: top + height, stroke: tail, 'stroke-width': floor ? 1 : 1.5 }),
    el('rect', { x: x50, y: top, width: x95 - x50, height, fill: dark, class: 'p50-p95' }),
    el('rect', { x: x95, y: top, width: x99 - x95, height, fill: light, 'fill-opacity': floor ? 0.5 : 1, class: 'p95-p99' }),
    el('line', { x1: x50, y1: top - 3, x2: x50, y2: top + height + 3, stroke: dark, 'stroke-width': 2, class: 'p50' }),
  ];
}

function figures(d: Distribution): string {
  return `p50 ${formatMs(d.p50)} · p95 ${formatMs(d.p95)} · p99 ${formatMs(d.p99)} · max ${formatMs(d.max)} ms`;
}

/**
 * The figures beside the marks: right of max if they fit (into the right margin if need be), else left of p50, else
 * nowhere (the tooltip and the Markdown have them).
 */
function sideLabel(d: Distribution, y: number, x: (v: number) => number, plotLeft: number): string[] {
  const label = `p50 ${formatMs(d.p50)} · p99 ${formatMs(d.p99)} · max ${formatMs(d.max)} ms`;
  const width = label.length * AVG_CHAR_PX;
  const attrs = { y: y + 4, 'font-size': 11, fill: COLORS.muted };
  if (x(d.max) + 8 + width <= WIDTH - 6) return [text(label, { ...attrs, x: x(d.max) + 8 })];
  if (x(d.p50) - 8 - width >= plotLeft) return [text(label, { ...attrs, x: x(d.p50) - 8, 'text-anchor': 'end' })];
  return [];
}

function logGrid(axis: Axis, x: (v: number) => number, top: number, bottom: number): string[] {
  const out: string[] = [];
  for (const t of axis.ticks) {
    const stroke = t.major ? COLORS.grid : COLORS.gridMinor;
    out.push(el('line', { x1: x(t.value), y1: top, x2: x(t.value), y2: bottom, stroke, 'stroke-width': 1 }));
    if (t.major) out.push(text(t.label, { x: x(t.value), y: bottom + 18, 'font-size': 12, 'text-anchor': 'middle', fill: COLORS.muted }));
  }
  return out;
}

/** Per-hop latency distribution on a log ms axis. Hops with no samples get a "not measured" row and no marks. */
export function latencyChart(result: BenchResult): string {
  const floor = result.floor;
  const floorFor = (key: string): Distribution | undefined => {
    if (floor === undefined) return undefined;
    const d = key === 'uplinkMs' ? floor.uplinkMs : key === 'downlinkMs' ? floor.downlinkMs : undefined;
    return d !== undefined && d.count > 0 ? d : undefined;
  };
  const rows = HOP_LABELS.map((h) => ({ ...h, d: result.hops[h.key], floor: floorFor(h.key) }));
  const all = rows.flatMap((r) => [...distributionValues(r.d), ...(r.floor ? distributionValues(r.floor) : [])]);
  const axis = logAxis(all);
  const plotLeft = LAT.left;
  const plotRight = WIDTH - LAT.right;
  const x = (v: number): number => plotLeft + axis.fraction(v) * (plotRight - plotLeft);

  const marks: string[] = [];
  let y = LAT.top;
  for (const r of rows) {
    if (r.d.count === 0) {
      const mid = y + LAT.emptyRow / 2 + 4;
      marks.push(
        el('g', { class: 'hop-unmeasured', 'data-hop': r.key }, [
          text(r.label, { x: plotLeft - 12, y: mid, 'text-anchor': 'end', fill: COLORS.muted }),
          text('not measured', { x: plotLeft + 8, y: mid, 'font-size': 12, 'font-style': 'italic', fill: COLORS.muted }),
        ]),
      );
      y += LAT.emptyRow;
      continue;
    }
    const mid = y + 20;
    const children = [
      tooltip(`${r.label}: ${figures(r.d)} (n = ${r.d.count})`),
      text(r.label, { x: plotLeft - 12, y: mid - 1, 'text-anchor': 'end', 'font-weight': 'bold' }),
      text(`n = ${r.d.count.toLocaleString('en-US')}`, { x: plotLeft - 12, y: mid + 14, 'text-anchor': 'end', 'font-size': 11, fill: COLORS.muted }),
      ...distributionMarks(r.d, mid, LAT.bar, x, false),
      ...sideLabel(r.d, mid, x, plotLeft),
    ];
    if (r.floor !== undefined) {
      const fy = mid + LAT.bar / 2 + 10;
      children.push(el('g', { class: 'floor' }, [tooltip(`floor relay: ${figures(r.floor)}`), ...distributionMarks(r.floor, fy, 6, x, true)]));
    }
    marks.push(el('g', { class: 'hop', 'data-hop': r.key }, children));
    y += LAT.measuredRow + (r.floor !== undefined ? LAT.floorRow : 0);
  }
  const bottom = y + 6;

  const ly = 74;
  const legend = [
    legendItem(plotLeft, ly, el('rect', { x: plotLeft, y: ly - 5, width: 16, height: 10, fill: COLORS.p50to95 }), 'p50 → p95'),
    legendItem(plotLeft + 110, ly, el('rect', { x: plotLeft + 110, y: ly - 5, width: 16, height: 10, fill: COLORS.p95to99 }), 'p95 → p99'),
    legendItem(plotLeft + 220, ly, el('line', { x1: plotLeft + 220, y1: ly, x2: plotLeft + 236, y2: ly, stroke: COLORS.tail, 'stroke-width': 1.5 }), 'p99 → max'),
    ...(floor !== undefined
      ? [legendItem(plotLeft + 330, ly, el('rect', { x: plotLeft + 330, y: ly - 3, width: 16, height: 6, fill: COLORS.floor }), 'floor relay (same run)')]
      : []),
  ];
  const height = bottom + 56;
  const body = [
    ...header(`Latency per hop — ${result.name}`, result),
    ...legend,
    ...logGrid(axis, x, LAT.top - 4, bottom),
    ...marks,
    text('milliseconds, log scale (light lines at 2× and 5×)', { x: (plotLeft + plotRight) / 2, y: bottom + 40, 'text-anchor': 'middle', 'font-size': 12, fill: COLORS.muted }),
  ];
  return svgDocument(WIDTH, height, `Latency per hop — ${result.name}`, body);
}

// ---------------------------------------------------------------------------------------------------------------
// Ramp

const RAMP = { left: 80, right: 40, panelHeight: 190, firstTop: 92, gap: 78 } as const;

interface Panel {
  title: string;
  top: number;
  values: (s: RampStep) => number;
  color: string;
  format: (v: number) => string;
  reference?: { value: number; label: string };
}

function panel(p: Panel, steps: readonly RampStep[], xAxis: Axis, x: (v: number) => number, plotRight: number): string[] {
  const refValues = p.reference !== undefined ? [p.reference.value] : [];
  const yAxis = linearAxis([...steps.map(p.values), ...refValues], 4);
  const bottom = p.top + RAMP.panelHeight;
  const y = (v: number): number => bottom - yAxis.fraction(v) * RAMP.panelHeight;
  const out: string[] = [text(p.title, { x: RAMP.left, y: p.top - 12, 'font-weight': 'bold' })];
  for (const t of yAxis.ticks) {
    out.push(el('line', { x1: RAMP.left, y1: y(t.value), x2: plotRight, y2: y(t.value), stroke: COLORS.grid, 'stroke-width': 1 }));
    out.push(text(t.label, { x: RAMP.left - 8, y: y(t.value) + 4, 'text-anchor': 'end', 'font-size': 12, fill: COLORS.muted }));
  }
  for (const t of xAxis.ticks) {
    out.push(el('line', { x1: x(t.value), y1: p.top, x2: x(t.value), y2: bottom, stroke: COLORS.gridMinor, 'stroke-width': 1 }));
    out.push(text(t.label, { x: x(t.value), y: bottom + 18, 'text-anchor': 'middle', 'font-size': 12, fill: COLORS.muted }));
  }
  if (p.reference !== undefined) {
    const ry = y(p.reference.value);
    out.push(el('line', { x1: RAMP.left, y1: ry, x2: plotRight, y2: ry, stroke: COLORS.floor, 'stroke-width': 1.5, 'stroke-dasharray': '6 4', class: 'reference' }));
    out.push(text(p.reference.label, { x: plotRight - 4, y: ry - 6, 'text-anchor': 'end', 'font-size': 11, fill: COLORS.muted }));
  }
  const points = steps.map((s) => `${x(s.concurrency).toFixed(1)},${y(p.values(s)).toFixed(1)}`).join(' ');
  out.push(el('polyline', { points, fill: 'none', stroke: p.color, 'stroke-width': 2 }));
  for (const s of steps) {
    const lossy = s.lossPct >= LOSS_MARK_PCT;
    const cx = x(s.concurrency);
    const cy = y(p.values(s));
    const children = [
      tooltip(`${s.concurrency} calls: ${p.format(p.values(s))} (loss ${formatFixed(s.lossPct, 2)} %)`),
      el('circle', { cx, cy, r: lossy ? 5 : 3.5, fill: lossy ? COLORS.bad : p.color, stroke: '#ffffff', 'stroke-width': 1 }),
    ];
    if (lossy) children.push(text(`${formatFixed(s.lossPct, 1)} % loss`, { x: cx, y: cy - 10, 'text-anchor': 'middle', 'font-size': 11, fill: COLORS.bad }));
    out.push(el('g', { class: 'step' }, children));
  }
  return out;
}

/** CPU ms per call-second and uplink p99 against concurrency, in two stacked panels. */
export function rampChart(result: BenchResult): string {
  const title = `Ramp — ${result.name}`;
  const steps = [...(result.ramp ?? [])].sort((a, b) => a.concurrency - b.concurrency);
  if (steps.length === 0) {
    const body = [...header(title, result), text('No ramp in this run.', { x: 20, y: 90, fill: COLORS.muted })];
    return svgDocument(WIDTH, 120, title, body);
  }
  const plotRight = WIDTH - RAMP.right;
  const xAxis = linearAxis(steps.map((s) => s.concurrency), 8);
  const x = (v: number): number => RAMP.left + xAxis.fraction(v) * (plotRight - RAMP.left);
  const floorCpu = result.floor?.cpuMsPerCallSecond;
  const secondTop = RAMP.firstTop + RAMP.panelHeight + RAMP.gap;
  const bottom = secondTop + RAMP.panelHeight;
  const body = [
    ...header(title, result),
    ...panel(
      {
        title: 'Gateway CPU, ms per call-second',
        top: RAMP.firstTop,
        values: (s) => s.cpuMsPerCallSecond,
        color: COLORS.cpu,
        format: (v) => `${formatFixed(v, 2)} CPU ms per call-second`,
        ...(floorCpu !== undefined && floorCpu > 0 ? { reference: { value: floorCpu, label: `floor relay ${formatFixed(floorCpu, 2)}` } } : {}),
      },
      steps,
      xAxis,
      x,
      plotRight,
    ),
    ...panel(
      { title: 'Uplink processing p99, ms', top: secondTop, values: (s) => s.uplinkP99Ms, color: COLORS.latency, format: (v) => `uplink p99 ${formatMs(v)} ms` },
      steps,
      xAxis,
      x,
      plotRight,
    ),
    text('concurrent calls', { x: (RAMP.left + plotRight) / 2, y: bottom + 40, 'text-anchor': 'middle', 'font-size': 12, fill: COLORS.muted }),
    text(`red: packet loss ≥ ${LOSS_MARK_PCT} %`, { x: plotRight, y: bottom + 40, 'text-anchor': 'end', 'font-size': 11, fill: COLORS.bad }),
  ];
  return svgDocument(WIDTH, bottom + 60, title, body);
}
