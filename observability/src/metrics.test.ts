import { describe, expect, it } from 'vitest';
import type { CallQualitySummary } from './call-quality.js';
import type { ObservabilityError } from './errors.js';
import { HOP_LATENCY_BUCKETS } from './log-buckets.js';
import { createGatewayMetrics, type HopStates } from './metrics.js';
import { HOP_LABELS, METRIC } from './names.js';
import type { GatewaySnapshot } from './snapshot-metrics.js';
import { SyntheticLogHistogram } from './test-support/log-bucket-state.js';
import { METRIC_KINDS } from './test-support/metric-kinds.js';
import { parsePrometheusText, samplesOf, valueOf, type Exposition } from './test-support/prometheus-text.js';

/** Label names each metric may carry (histograms add `le` on buckets). */
const ALLOWED_LABELS: Record<string, string[]> = {
  [METRIC.callsTotal]: ['result'],
  [METRIC.callsRejectedTotal]: ['status'],
  [METRIC.transfersRefusedTotal]: ['reason'],
  [METRIC.agentConnectFailuresTotal]: ['reason'],
  [METRIC.routingWebhookFallbacksTotal]: ['reason'],
  [METRIC.forwardLegsTotal]: ['outcome'],
  [METRIC.agentFailoversTotal]: ['reason'],
  [METRIC.agentRedialsTotal]: ['outcome'],
  [METRIC.sipRequestsTotal]: ['method'],
  [METRIC.sipResponsesTotal]: ['method', 'status'],
  [METRIC.sipAuthFailuresTotal]: ['reason'],
  [METRIC.sipEdgeDroppedTotal]: ['reason'],
  [METRIC.hopLatency]: ['hop'],
  [METRIC.packetsLostTotal]: ['direction'],
  [METRIC.packetsExpectedTotal]: ['direction'],
  [METRIC.droppedFramesTotal]: ['direction', 'reason'],
  [METRIC.trunkRegistrationState]: ['trunk', 'state'],
  [METRIC.srtpFailuresTotal]: ['failure'],
};

const familyOf = (sample: string): string => sample.replace(/_(bucket|sum|count)$/, '');

async function scrape(metrics: { render(): Promise<{ body: string }> }): Promise<Exposition> {
  return parsePrometheusText((await metrics.render()).body);
}

const snapshot: GatewaySnapshot = {
  activeCalls: 7,
  drainState: 1,
  callsByResult: { 'remote-bye': 40, 'agent-hangup': 12, 'rtp-timeout': 1 },
  callsRejectedByStatus: { '486': 3, '503': 2 },
  transfersRefusedByReason: { not_allowed: 4, uri_headers: 1 },
  agentConnectFailuresByReason: { tls: 2, timeout: 1 },
  sipRequestsByMethod: { INVITE: 60, BYE: 52, OPTIONS: 900, FOO: 1 },
  sipResponses: [
    { method: 'INVITE', status: 200, count: 53 },
    { method: 'INVITE', status: '486', count: 3 },
  ],
  sipAuthFailures: { 'bad-response': 9, 'unknown-user': 4, '+15550100001': 1 },
  sipAuthLockouts: 2,
  mediaClockLateTicks: 5,
  mediaClockStalls: 2,
  wsSendQueueFrames: 12,
  rtpRejectedPackets: 250,
  rtpRejectedSources: 4,
  srtpFailures: { auth: 9, replay: 2, malformed: 0 },
  trunkRegistrations: [
    { trunk: 'carrier-a', state: 'registered' },
    { trunk: 'backup', state: 'failed' },
  ],
  store: { queued: 3, spilled: 40, applied: 900, failures: 2, dropped: 1, rejected: 0, databaseUp: false },
};

const summary: CallQualitySummary = {
  codec: 'PCMU',
  durationMs: 30_000,
  packetsExpected: 1500,
  packetsLost: 15,
  packetsLate: 0,
  jitterMs: 3,
  oneWayDelayMs: 90,
  jitterBufferDepthMs: 40,
  downlink: { packetsExpected: 1490, packetsLost: 2 },
  droppedFrames: [{ direction: 'uplink', reason: 'agent-slow', count: 4 }],
  bargeInReactionsMs: [180, 320],
};

describe('createGatewayMetrics', () => {
  it('renders every METRIC with its TYPE, plus the event-loop lag default metrics', async () => {
    const metrics = createGatewayMetrics();
    const { contentType, body } = await metrics.render();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const exp = parsePrometheusText(body);
    for (const [key, kind] of Object.entries(METRIC_KINDS)) {
      if (kind === 'prefix') continue; // a family prefix of the default metrics, checked below
      expect(exp.types.get(METRIC[key as keyof typeof METRIC]), key).toBe(kind);
    }
    expect(exp.types.get(`${METRIC.eventLoopLagPrefix}_seconds`)).toBe('gauge');
    expect(exp.types.get(`${METRIC.eventLoopLagPrefix}_p99_seconds`)).toBe('gauge');
  });

  it('exports hop latency from a log-bucket source: cumulative le buckets, _count, _sum in seconds', async () => {
    const metrics = createGatewayMetrics({ defaultMetrics: false });
    const turn = new SyntheticLogHistogram().record(0.3, 1000).record(20, 10);
    metrics.setHopSource(() => ({ turn: turn.state() }));
    const exp = await scrape(metrics);
    const name = METRIC.hopLatency;
    expect(valueOf(exp, `${name}_bucket`, { hop: 'turn', le: '0.0002512' })).toBe(0);
    expect(valueOf(exp, `${name}_bucket`, { hop: 'turn', le: '0.0005012' })).toBe(1000);
    expect(valueOf(exp, `${name}_bucket`, { hop: 'turn', le: '0.01' })).toBe(1000);
    expect(valueOf(exp, `${name}_bucket`, { hop: 'turn', le: '0.02512' })).toBe(1010);
    expect(valueOf(exp, `${name}_bucket`, { hop: 'turn', le: '+Inf' })).toBe(1010);
    expect(valueOf(exp, `${name}_count`, { hop: 'turn' })).toBe(1010);
    expect(valueOf(exp, `${name}_sum`, { hop: 'turn' })).toBeCloseTo(0.5, 9);
    // Every hop is exported (zeros where the source has none), each with all bounds plus +Inf.
    for (const hop of HOP_LABELS) {
      expect(samplesOf(exp, `${name}_bucket`, { hop })).toHaveLength(HOP_LATENCY_BUCKETS.length + 1);
      if (hop !== 'turn') expect(valueOf(exp, `${name}_count`, { hop })).toBe(0);
    }
  });

  it('stays monotonic across scrapes as the source grows', async () => {
    const metrics = createGatewayMetrics({ defaultMetrics: false });
    const uplink = new SyntheticLogHistogram();
    metrics.setHopSource(() => ({ uplink: uplink.state() }));
    let previous: number[] | undefined;
    const latencies = [0.05, 0.4, 2, 0.08, 15, 900, 0.2];
    for (let round = 0; round < 5; round++) {
      for (const ms of latencies) uplink.record(ms * (round + 1), 10 * round + 1);
      const exp = await scrape(metrics);
      const now = samplesOf(exp, `${METRIC.hopLatency}_bucket`, { hop: 'uplink' }).map((s) => s.value);
      for (let i = 1; i < now.length; i++) expect(now[i]).toBeGreaterThanOrEqual(now[i - 1] ?? 0);
      if (previous) now.forEach((v, i) => expect(v).toBeGreaterThanOrEqual(previous?.[i] ?? 0));
      previous = now;
    }
  });

  it('reads gauges and counters from one snapshot per scrape, replacing (not adding) the totals', async () => {
    const metrics = createGatewayMetrics({ defaultMetrics: false });
    let calls = 0;
    metrics.setSnapshotSource(async () => {
      calls++;
      return snapshot;
    });
    await scrape(metrics);
    const exp = await scrape(metrics);
    expect(calls).toBe(2);
    expect(valueOf(exp, METRIC.activeCalls)).toBe(7);
    expect(valueOf(exp, METRIC.drainState)).toBe(1);
    expect(valueOf(exp, METRIC.wsSendQueueFrames)).toBe(12);
    expect(valueOf(exp, METRIC.mediaClockLateTicks)).toBe(5);
    expect(valueOf(exp, METRIC.mediaClockStallsTotal)).toBe(2);
    expect(valueOf(exp, METRIC.rtpRejectedPacketsTotal)).toBe(250);
    expect(valueOf(exp, METRIC.rtpRejectedSourcesTotal)).toBe(4);
    expect(valueOf(exp, METRIC.srtpFailuresTotal, { failure: 'auth' })).toBe(9);
    expect(valueOf(exp, METRIC.srtpFailuresTotal, { failure: 'replay' })).toBe(2);
    expect(valueOf(exp, METRIC.srtpFailuresTotal, { failure: 'malformed' })).toBe(0);
    expect(valueOf(exp, METRIC.callsTotal, { result: 'remote-bye' })).toBe(40);
    expect(valueOf(exp, METRIC.callsRejectedTotal, { status: '486' })).toBe(3);
    expect(valueOf(exp, METRIC.transfersRefusedTotal, { reason: 'not_allowed' })).toBe(4);
    expect(valueOf(exp, METRIC.agentConnectFailuresTotal, { reason: 'tls' })).toBe(2);
    expect(valueOf(exp, METRIC.sipRequestsTotal, { method: 'OPTIONS' })).toBe(900);
    expect(valueOf(exp, METRIC.sipRequestsTotal, { method: 'OTHER' })).toBe(1);
    expect(valueOf(exp, METRIC.sipResponsesTotal, { method: 'INVITE', status: '200' })).toBe(53);
    expect(valueOf(exp, METRIC.sipResponsesTotal, { method: 'INVITE', status: '486' })).toBe(3);
    expect(valueOf(exp, METRIC.sipAuthFailuresTotal, { reason: 'bad-response' })).toBe(9);
    expect(valueOf(exp, METRIC.sipAuthFailuresTotal, { reason: 'other' })).toBe(1); // not a cause: never a series of its own
    expect(valueOf(exp, METRIC.sipAuthLockoutsTotal)).toBe(2);
  });

  it('records call ends: MOS, jitter, loss by direction, drops, barge-ins (seconds)', async () => {
    const metrics = createGatewayMetrics({ defaultMetrics: false });
    const rated = metrics.observeCallEnd(summary);
    metrics.observeCallEnd({ ...summary, packetsExpected: 0, bargeInReactionsMs: [] }); // no media: not rated
    expect(rated?.mos).toBeGreaterThan(4);
    const exp = await scrape(metrics);
    expect(valueOf(exp, `${METRIC.callMos}_count`)).toBe(1);
    expect(valueOf(exp, `${METRIC.callMos}_sum`)).toBeCloseTo(rated?.mos ?? 0, 9);
    expect(valueOf(exp, `${METRIC.callMos}_bucket`, { le: '4' })).toBe(0);
    expect(valueOf(exp, `${METRIC.callMos}_bucket`, { le: '4.5' })).toBe(1);
    expect(valueOf(exp, `${METRIC.jitterBufferDepth}_sum`)).toBeCloseTo(0.08, 9);
    expect(valueOf(exp, `${METRIC.rtcpJitter}_bucket`, { le: '0.005' })).toBe(2);
    expect(valueOf(exp, `${METRIC.bargeInReaction}_count`)).toBe(2);
    expect(valueOf(exp, `${METRIC.bargeInReaction}_sum`)).toBeCloseTo(0.5, 9);
    expect(valueOf(exp, METRIC.packetsExpectedTotal, { direction: 'uplink' })).toBe(1500);
    expect(valueOf(exp, METRIC.packetsLostTotal, { direction: 'uplink' })).toBe(30);
    expect(valueOf(exp, METRIC.packetsLostTotal, { direction: 'downlink' })).toBe(4);
    expect(valueOf(exp, METRIC.droppedFramesTotal, { direction: 'uplink', reason: 'agent-slow' })).toBe(8);
  });

  it('never carries per-call label values: label names are fixed and odd values collapse', async () => {
    const metrics = createGatewayMetrics({ defaultMetrics: false });
    metrics.setHopSource(() => ({ turn: new SyntheticLogHistogram().record(3).state() }));
    metrics.setSnapshotSource(() => ({
      ...snapshot,
      callsByResult: { ...snapshot.callsByResult, '+15551234567': 1, 'call-7f3a9c2e-1b4d-4e8f-9a6b-2c5d8e1f0a3b': 1 },
      callsRejectedByStatus: { 'sip:alice@example.com': 1 },
    }));
    metrics.observeCallEnd({ ...summary, droppedFrames: [{ direction: 'downlink', reason: 'Caller +1 555 123 4567', count: 1 }] });
    metrics.people.forwardLeg('sip:bob@example.com');
    metrics.people.agentFailed('Call 12345 failed');
    const exp = await scrape(metrics);
    for (const s of exp.samples) {
      const family = familyOf(s.name);
      const allowed = [...(ALLOWED_LABELS[family] ?? []), ...(s.name.endsWith('_bucket') ? ['le'] : [])];
      expect(Object.keys(s.labels).sort(), s.name).toEqual(allowed.sort());
      for (const [k, value] of Object.entries(s.labels)) if (k !== 'le') expect(value).not.toMatch(/\d{5}|@|call-|\s/);
    }
    expect(new Set(samplesOf(exp, `${METRIC.hopLatency}_count`).map((s) => s.labels['hop']))).toEqual(new Set(HOP_LABELS));
    expect(valueOf(exp, METRIC.callsTotal, { result: 'other' })).toBe(2);
    expect(valueOf(exp, METRIC.callsRejectedTotal, { status: 'other' })).toBe(1);
    expect(valueOf(exp, METRIC.droppedFramesTotal, { direction: 'downlink', reason: 'other' })).toBe(1);
    expect(valueOf(exp, METRIC.forwardLegsTotal, { outcome: 'other' })).toBe(1);
    expect(valueOf(exp, METRIC.agentFailoversTotal, { reason: 'other' })).toBe(1);
  });

  it('counts forwarded people by how their leg went, agents given up by cause, re-dials by outcome; every series from 0', async () => {
    const metrics = createGatewayMetrics({ defaultMetrics: false });
    const before = await scrape(metrics);
    expect(valueOf(before, METRIC.forwardLegsTotal, { outcome: 'answered' })).toBe(0);
    expect(valueOf(before, METRIC.agentFailoversTotal, { reason: 'agent-silent' })).toBe(0);
    expect(valueOf(before, METRIC.agentRedialsTotal, { outcome: 'failed' })).toBe(0);
    metrics.people.forwardLeg('no-answer');
    metrics.people.forwardLeg('answered');
    metrics.people.forwardLeg('answered');
    metrics.people.agentFailed('agent-dropped');
    metrics.people.agentRedialled('connected');
    const exp = await scrape(metrics);
    expect(valueOf(exp, METRIC.forwardLegsTotal, { outcome: 'answered' })).toBe(2);
    expect(valueOf(exp, METRIC.forwardLegsTotal, { outcome: 'no-answer' })).toBe(1);
    expect(valueOf(exp, METRIC.agentFailoversTotal, { reason: 'agent-dropped' })).toBe(1);
    expect(valueOf(exp, METRIC.agentRedialsTotal, { outcome: 'connected' })).toBe(1);
  });

  it('serves the last good values and reports OBS_METRICS_SOURCE when a source fails', async () => {
    const errors: ObservabilityError[] = [];
    const metrics = createGatewayMetrics({ defaultMetrics: false, onError: (e) => errors.push(e) });
    let fail = false;
    const uplink = new SyntheticLogHistogram().record(1.5, 3);
    metrics.setHopSource(() => {
      if (fail) throw new Error('worker gone');
      return { uplink: uplink.state() };
    });
    metrics.setSnapshotSource(() => {
      if (fail) return Promise.reject(new Error('controller busy'));
      return snapshot;
    });
    await scrape(metrics);
    fail = true;
    const exp = await scrape(metrics);
    expect(errors.map((e) => e.code).sort()).toEqual(['OBS_METRICS_SOURCE', 'OBS_METRICS_SOURCE']);
    expect(valueOf(exp, `${METRIC.hopLatency}_count`, { hop: 'uplink' })).toBe(3);
    expect(valueOf(exp, METRIC.callsTotal, { result: 'remote-bye' })).toBe(40);
    expect(valueOf(exp, METRIC.activeCalls)).toBe(7);
  });

  it('reports a hop state of the wrong shape as OBS_HISTOGRAM_SHAPE', async () => {
    const errors: ObservabilityError[] = [];
    const metrics = createGatewayMetrics({ defaultMetrics: false, onError: (e) => errors.push(e) });
    const bad: HopStates = { turn: { counts: [0, 1], total: 1, sum: 1, max: 1 } };
    metrics.setHopSource(() => bad);
    const exp = await scrape(metrics);
    expect(errors[0]?.code).toBe('OBS_HISTOGRAM_SHAPE');
    expect(samplesOf(exp, `${METRIC.hopLatency}_count`)).toHaveLength(0);
  });

  it('exports each trunk registration as one series per state, 1 for the current one; states follow the snapshot', async () => {
    const metrics = createGatewayMetrics({ defaultMetrics: false });
    let list = snapshot.trunkRegistrations ?? [];
    metrics.setSnapshotSource(() => ({ trunkRegistrations: list }));
    let exp = await scrape(metrics);
    const states = (trunk: string): Record<string, number | undefined> =>
      Object.fromEntries(['unregistered', 'registering', 'registered', 'failed'].map((state) => [state, valueOf(exp, METRIC.trunkRegistrationState, { trunk, state })]));
    expect(states('carrier-a')).toEqual({ unregistered: 0, registering: 0, registered: 1, failed: 0 });
    expect(states('backup')).toEqual({ unregistered: 0, registering: 0, registered: 0, failed: 1 });
    list = [{ trunk: 'carrier-a', state: 'registering' }];
    exp = await scrape(metrics);
    expect(states('carrier-a')).toEqual({ unregistered: 0, registering: 1, registered: 0, failed: 0 });
    expect(samplesOf(exp, METRIC.trunkRegistrationState, { trunk: 'backup' })).toHaveLength(0); // gone with its trunk
  });

  it("exports the store's write queue: depths, cumulative counts, database up as 0/1", async () => {
    const metrics = createGatewayMetrics({ defaultMetrics: false });
    let store = snapshot.store;
    metrics.setSnapshotSource(() => (store === undefined ? {} : { store }));
    let exp = await scrape(metrics);
    expect(valueOf(exp, METRIC.storeQueuedOps, {})).toBe(3);
    expect(valueOf(exp, METRIC.storeSpilledOps, {})).toBe(40);
    expect(valueOf(exp, METRIC.storeAppliedTotal, {})).toBe(900);
    expect(valueOf(exp, METRIC.storeFailuresTotal, {})).toBe(2);
    expect(valueOf(exp, METRIC.storeDroppedTotal, {})).toBe(1);
    expect(valueOf(exp, METRIC.storeRejectedTotal, {})).toBe(0);
    expect(valueOf(exp, METRIC.storeDatabaseUp, {})).toBe(0);
    store = { queued: 0, spilled: 0, applied: 943, failures: 2, dropped: 1, rejected: 0, databaseUp: true };
    exp = await scrape(metrics);
    expect(valueOf(exp, METRIC.storeAppliedTotal, {})).toBe(943);
    expect(valueOf(exp, METRIC.storeDatabaseUp, {})).toBe(1);
  });
});
