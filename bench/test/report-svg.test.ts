import { describe, expect, it } from 'vitest';

import { linearAxis, logAxis } from '../src/report/axes.js';
import { latencyChart, rampChart } from '../src/report/svg.js';
import { NOT_MEASURED, dist, fixture } from './report-fixture.js';
import { allElements, deepText, parseXml, type XmlElement } from './report-xml.js';

function withClass(root: XmlElement, cls: string): XmlElement[] {
  return allElements(root).filter((e) => e.attrs.class === cls);
}

function checkStandalone(svg: string): XmlElement {
  const root = parseXml(svg);
  expect(root.name).toBe('svg');
  expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
  expect(root.attrs.viewBox).toMatch(/^0 0 800 \d+(\.\d)?$/);
  expect(root.attrs['font-family']).toContain('sans-serif');
  // No external resources: no href, no url(), no <image>, no <script>, no foreignObject.
  expect(svg).not.toMatch(/href|url\(|<image|<script|<foreignObject/i);
  return root;
}

describe('the XML checker itself', () => {
  it('rejects what a browser would reject', () => {
    expect(() => parseXml('<svg><g></svg>')).toThrow(/does not close/);
    expect(() => parseXml('<svg><text>a < b</text></svg>')).toThrow(/^XML:/);
    expect(() => parseXml('<svg a=1/>')).toThrow(/unquoted/);
    expect(() => parseXml('<svg><g>')).toThrow(/unclosed/);
    expect(() => parseXml('<svg>&nbsp;</svg>')).toThrow(/unknown entity/);
    expect(parseXml('<?xml version="1.0"?><svg a="x &amp; y"><t>1 &lt; 2</t></svg>').children[0]?.text).toBe('1 < 2');
  });
});

describe('latencyChart', () => {
  const result = fixture();
  const svg = latencyChart(result);
  const root = checkStandalone(svg);

  it('draws one mark group per measured hop and a "not measured" row for the others', () => {
    const hops = withClass(root, 'hop').map((g) => g.attrs['data-hop']);
    expect(hops).toEqual(['setupMs', 'uplinkMs', 'downlinkMs', 'roundTripMs']);
    const empty = withClass(root, 'hop-unmeasured');
    expect(empty.map((g) => g.attrs['data-hop'])).toEqual(['turnMs', 'bargeInMs']);
    for (const g of empty) expect(deepText(g)).toContain('not measured');
    expect(allElements(root).filter((e) => e.name === 'rect' && e.attrs.class === 'p50-p95')).toHaveLength(4 + 2); // + 2 floor marks
  });

  it('places marks in order p50 ≤ p95 ≤ p99 ≤ max along the axis, and µs hops left of ms hops', () => {
    const groups = withClass(root, 'hop');
    const p50x = (hop: string): number => {
      const g = groups.find((e) => e.attrs['data-hop'] === hop);
      const line = g?.children.find((c) => c.attrs.class === 'p50');
      return Number(line?.attrs.x1);
    };
    expect(p50x('uplinkMs')).toBeLessThan(p50x('setupMs'));
    expect(p50x('setupMs')).toBeLessThan(p50x('roundTripMs'));
    for (const g of groups) {
      const a = g.children.find((c) => c.attrs.class === 'p50-p95');
      const b = g.children.find((c) => c.attrs.class === 'p95-p99');
      expect(Math.abs(Number(a?.attrs.x) + Number(a?.attrs.width) - Number(b?.attrs.x))).toBeLessThanOrEqual(0.2); // 0.1 px rounding
      expect(Number(a?.attrs.width)).toBeGreaterThan(0);
    }
  });

  it('labels the log axis in decades from µs to ms', () => {
    const labels = allElements(root).filter((e) => e.name === 'text').map((e) => e.text);
    expect(labels).toEqual(expect.arrayContaining(['10 µs', '100 µs', '1 ms', '10 ms', '100 ms']));
  });

  it('escapes markup in the name', () => {
    expect(svg).toContain('ws-echo &lt;200&gt; &amp; co');
    expect(svg).not.toContain('<200>');
    const evil = latencyChart({ ...result, name: '</text><script>x</script>"\'&' });
    expect(() => parseXml(evil)).not.toThrow();
    expect(parseXml(evil).children.find((c) => c.name === 'title')?.text).toBe('Latency per hop — </text><script>x</script>"\'&');
  });

  it('still renders when nothing was measured', () => {
    const hops = { setupMs: NOT_MEASURED, uplinkMs: NOT_MEASURED, downlinkMs: NOT_MEASURED, roundTripMs: NOT_MEASURED, turnMs: NOT_MEASURED, bargeInMs: NOT_MEASURED };
    const empty = checkStandalone(latencyChart({ ...result, hops, floor: undefined }));
    expect(withClass(empty, 'hop')).toHaveLength(0);
    expect(withClass(empty, 'hop-unmeasured')).toHaveLength(6);
  });

  it('copes with zero and equal percentiles (a hop faster than the clock)', () => {
    const flat = { ...result.hops, setupMs: dist(0, 0, 0, 0.5, 10), uplinkMs: dist(1, 1, 1, 1, 3) };
    const doc = checkStandalone(latencyChart({ ...result, hops: flat }));
    expect(svg).not.toContain('NaN');
    expect(latencyChart({ ...result, hops: flat })).not.toMatch(/NaN|Infinity/);
    expect(withClass(doc, 'hop')).toHaveLength(4);
  });
});

describe('logAxis', () => {
  it('covers 0.01 ms to 1000 ms in five decades with labels people read', () => {
    const axis = logAxis([0.01, 0.5, 1000]);
    expect(axis.min).toBeCloseTo(0.01, 12);
    expect(axis.max).toBe(1000);
    const major = axis.ticks.filter((t) => t.major);
    expect(major.map((t) => t.label)).toEqual(['10 µs', '100 µs', '1 ms', '10 ms', '100 ms', '1 s']);
    expect(axis.fraction(0.01)).toBe(0);
    expect(axis.fraction(1)).toBeCloseTo(0.4, 12);
    expect(axis.fraction(1000)).toBe(1);
    expect(axis.ticks.filter((t) => !t.major)).toHaveLength(10); // 2× and 5× in each decade
  });

  it('rounds out to whole decades and pins zeros and out-of-range values to the ends', () => {
    const axis = logAxis([0.0412, 88.6, 0]);
    expect(axis.min).toBeCloseTo(0.01, 12);
    expect(axis.max).toBe(100);
    expect(axis.fraction(0)).toBe(0);
    expect(axis.fraction(1e9)).toBe(1);
    expect(logAxis([]).ticks.filter((t) => t.major)).toHaveLength(6);
    expect(logAxis([5, 5]).ticks.filter((t) => t.major).map((t) => t.label)).toEqual(['1 ms', '10 ms']);
  });
});

describe('linearAxis', () => {
  it('rounds the top up to a 1-2-5 step', () => {
    expect(linearAxis([3.62]).ticks.map((t) => t.label)).toEqual(['0', '1', '2', '3', '4']);
    expect(linearAxis([400], 8).max).toBe(400);
    expect(linearAxis([0.262, 0.3]).ticks.map((t) => t.label)).toEqual(['0', '0.1', '0.2', '0.3']);
  });
});

describe('rampChart', () => {
  const result = fixture();
  const root = checkStandalone(rampChart(result));

  it('plots every step in both panels against concurrency, lossy steps red and labelled', () => {
    expect(allElements(root).filter((e) => e.name === 'polyline')).toHaveLength(2);
    const steps = withClass(root, 'step');
    expect(steps).toHaveLength(2 * 5);
    const lossLabels = steps.flatMap((g) => g.children.filter((c) => c.name === 'text').map((c) => c.text));
    expect(lossLabels).toEqual(['1.7 % loss', '1.7 % loss']);
    const labels = allElements(root).filter((e) => e.name === 'text').map((e) => e.text);
    expect(labels).toEqual(expect.arrayContaining(['concurrent calls', 'Gateway CPU, ms per call-second', 'Uplink processing p99, ms', '400']));
  });

  it('draws the floor CPU as a reference line when there is a floor', () => {
    expect(withClass(root, 'reference')).toHaveLength(1);
    expect(withClass(checkStandalone(rampChart({ ...result, floor: undefined })), 'reference')).toHaveLength(0);
  });

  it('says there was no ramp rather than drawing empty axes', () => {
    const none = checkStandalone(rampChart({ ...result, ramp: undefined }));
    expect(deepText(none)).toContain('No ramp in this run.');
  });
});
