/**
 * Axis arithmetic for the charts: a log-scale ms axis in whole decades and a linear axis with 1-2-5 steps.
 * Pure numbers; the SVG code maps `fraction()` (0 at the low end, 1 at the high end) onto pixels.
 */

export interface Tick {
  value: number;
  /** Empty for minor ticks. */
  label: string;
  major: boolean;
}

export interface Axis {
  min: number;
  max: number;
  ticks: readonly Tick[];
  /** Where a value falls, 0 at `min` to 1 at `max`, clamped to [0, 1]. */
  fraction(value: number): number;
}

const EPS = 1e-9;

/** A decade as a label with a unit people read: 1e-3 → "1 µs", 1e-1 → "100 µs", 1 → "1 ms", 1e3 → "1 s". */
export function decadeLabel(exponent: number): string {
  if (exponent < -3) return `${formatPlain(10 ** (exponent + 6))} ns`;
  if (exponent < 0) return `${formatPlain(10 ** (exponent + 3))} µs`;
  if (exponent < 3) return `${formatPlain(10 ** exponent)} ms`;
  return `${formatPlain(10 ** (exponent - 3))} s`;
}

function formatPlain(value: number): string {
  return String(Math.round(value));
}

/**
 * A log axis over whole decades covering every positive finite value (zeros and non-finite values are ignored;
 * the chart draws them at the low end). With nothing positive it covers 0.01–1000 ms.
 */
export function logAxis(values: readonly number[]): Axis {
  const positive = values.filter((v) => Number.isFinite(v) && v > 0);
  let lo = positive.length === 0 ? -2 : Math.floor(Math.log10(Math.min(...positive)) + EPS);
  let hi = positive.length === 0 ? 3 : Math.ceil(Math.log10(Math.max(...positive)) - EPS);
  if (hi <= lo) hi = lo + 1;
  if (hi - lo > 12) lo = hi - 12; // keep the axis readable; anything smaller sits at the low end
  const ticks: Tick[] = [];
  for (let e = lo; e <= hi; e++) {
    ticks.push({ value: 10 ** e, label: decadeLabel(e), major: true });
    if (e < hi) {
      ticks.push({ value: 2 * 10 ** e, label: '', major: false });
      ticks.push({ value: 5 * 10 ** e, label: '', major: false });
    }
  }
  const min = 10 ** lo;
  const max = 10 ** hi;
  return {
    min,
    max,
    ticks,
    fraction(value: number): number {
      if (!Number.isFinite(value) || value <= min) return value === Infinity ? 1 : 0;
      return Math.min(1, (Math.log10(value) - lo) / (hi - lo));
    },
  };
}

/** The 1-2-5 step that splits [0, max] into at most `count` intervals. */
export function niceStep(max: number, count: number): number {
  if (!(max > 0) || !Number.isFinite(max)) return 1;
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * magnitude >= raw - EPS * raw) return m * magnitude;
  return 10 * magnitude;
}

/** A linear axis from 0 to a round number at or above every value, with about `count` labelled ticks. */
export function linearAxis(values: readonly number[], count = 5, format: (v: number) => string = formatTick): Axis {
  const finite = values.filter((v) => Number.isFinite(v) && v > 0);
  const top = finite.length === 0 ? 1 : Math.max(...finite);
  const step = niceStep(top, count);
  const max = Math.ceil(top / step - EPS) * step;
  const ticks: Tick[] = [];
  for (let i = 0; i * step <= max + EPS * max; i++) {
    const value = i * step;
    ticks.push({ value, label: format(value), major: true });
  }
  return {
    min: 0,
    max,
    ticks,
    fraction(value: number): number {
      if (!Number.isFinite(value)) return value > 0 ? 1 : 0;
      return Math.min(1, Math.max(0, value / max));
    },
  };
}

/** A tick value without float noise: 0.30000000000000004 → "0.3". */
export function formatTick(value: number): string {
  return String(Number(value.toPrecision(6)));
}
