/**
 * Every metric the dashboards may use (observability/src/names.ts METRIC: their static test checks the dashboards'
 * queries against it) is in a live gateway's GET /metrics after real calls, with the type names.ts declares: one
 * answered call with audio both ways (the echo agent), one refused (404), over UDP from a scripted caller.
 */
import { readFile } from 'node:fs/promises';
import { createGatewayMetrics, HOP_LABELS, METRIC } from '@patchbay/observability';
import { METRIC_KINDS, parsePrometheusText, samplesOf, type MetricKind } from '@patchbay/observability/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { SipCaller, SipCallerError } from '../helpers/sip-caller.js';

/** Counters whose series only exist once something was counted (a label value to count under). */
/** Series that exist only once counted, or (trunk registrations) only when a trunk registers. */
const ONLY_WHEN_COUNTED = new Set<string>([
  METRIC.droppedFramesTotal, METRIC.transfersRefusedTotal, METRIC.agentConnectFailuresTotal, METRIC.sipAuthFailuresTotal, METRIC.trunkRegistrationState,
  // Per-number figures: counted from finished call records (records/number-metrics.ts), once a record source is wired.
  METRIC.numberCallsTotal, METRIC.numberAnsweredCallsTotal, METRIC.numberBargedInCallsTotal, METRIC.numberTransfersTotal,
  METRIC.numberTalkSeconds, METRIC.numberTurnLatency, METRIC.numberCallMos,
  // SIP over TLS: only with `sip.tls` (gateway/test/e2e/tls-baresip.test.ts reads them).
  METRIC.sipTlsConnections, METRIC.sipTlsHandshakeFailuresTotal, METRIC.sipTlsConnectFailuresTotal,
]);

/** The kind each METRIC entry's doc comment in names.ts opens with (`Gauge:`, `Counter{…}:`, `Histogram…:`). */
async function declaredInSource(): Promise<Map<string, string>> {
  const source = await readFile(new URL('../../../observability/src/names.ts', import.meta.url), 'utf8');
  const block = /export const METRIC = \{([\s\S]*?)\} as const;/.exec(source)?.[1] ?? '';
  const out = new Map<string, string>();
  for (const m of block.matchAll(/\/\*\*([\s\S]*?)\*\/\s*(\w+):/g)) {
    const kind = /^\s*\*?\s*(Gauge|Counter|Histogram)\b/.exec(m[1] ?? '')?.[1]?.toLowerCase();
    if (m[2]) out.set(m[2], kind ?? 'prefix');
  }
  return out;
}

function noise(ms: number): Int16Array {
  const out = new Int16Array(8 * ms);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(400 * Math.sin(i * 0.37) + 200 * Math.sin(i * 1.91));
  return out;
}

describe('GET /metrics exports every metric in names.ts', () => {
  let gw: TestGateway | undefined;

  beforeAll(async () => {
    // Node's default metrics on, as in production (the event-loop lag is one of the names).
    gw = await startTestGateway({ numbers: { '+1555*': { agent: 'echo' } } }, { metrics: createGatewayMetrics() });
  });

  afterAll(async () => {
    await gw?.close();
  });

  it('after an answered and a refused call: each name present, with its declared type and samples', async () => {
    if (!gw) throw new Error('gateway did not start');
    const caller = await SipCaller.call({ host: gw.host, port: gw.sipPort, to: '+15550104444' });
    try {
      await caller.sendAudio(noise(1_500));
      expect(await caller.bye()).toBe(200);
    } finally {
      caller.close();
    }
    const refused = await SipCaller.call({ host: gw.host, port: gw.sipPort, to: '+4420700000' }).then(
      (c) => (c.close(), undefined),
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(SipCallerError);
    await gw.waitForIdle(5_000);

    const text = await gw.metrics();
    const scrape = parsePrometheusText(text);
    const declared = await declaredInSource();
    expect(new Set(declared.keys())).toEqual(new Set(Object.keys(METRIC)));
    const missing: string[] = [];
    for (const [key, name] of Object.entries(METRIC)) {
      const kind: MetricKind = METRIC_KINDS[key as keyof typeof METRIC];
      expect(declared.get(key), `${key}: names.ts declares another type`).toBe(kind);
      if (kind === 'prefix') {
        if (![...scrape.types.keys()].some((t) => t.startsWith(name))) missing.push(`${name}_* (no family)`);
        continue;
      }
      if (scrape.types.get(name) !== kind) missing.push(`${name}: TYPE ${String(scrape.types.get(name))}, declared ${kind}`);
      const found = samplesOf(scrape, kind === 'histogram' ? `${name}_count` : name);
      if (!ONLY_WHEN_COUNTED.has(name) && found.length === 0) missing.push(`${name}: no samples`);
    }
    expect(missing, text).toEqual([]);

    // And the figures of these calls, not just the names (the first series with these labels).
    const value = (name: string, labels: Record<string, string> = {}): number | undefined => samplesOf(scrape, name, labels)[0]?.value;
    expect(value(METRIC.activeCalls)).toBe(0);
    expect(value(METRIC.callsTotal, { result: 'remote-bye' })).toBe(1);
    expect(value(METRIC.callsRejectedTotal, { status: '404' })).toBe(1);
    expect(value(METRIC.sipRequestsTotal, { method: 'INVITE' })).toBeGreaterThanOrEqual(2);
    expect(value(METRIC.sipResponsesTotal, { status: '404' })).toBe(1);
    expect(value(`${METRIC.callMos}_count`)).toBe(1);
    expect(value(METRIC.packetsExpectedTotal, { direction: 'uplink' })).toBeGreaterThan(50);
    for (const hop of HOP_LABELS) expect(value(`${METRIC.hopLatency}_count`, { hop }), hop).toBeDefined();
    expect(value(`${METRIC.hopLatency}_count`, { hop: 'uplink' })).toBeGreaterThan(50);
    expect(value(`${METRIC.hopLatency}_count`, { hop: 'setup' })).toBe(1);
    // No per-call label values: no call ids, no numbers.
    expect(text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(text).not.toContain('5550104444');
  }, 30_000);
});
