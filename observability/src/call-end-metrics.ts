/**
 * Per-call-end observations: the gateway calls `observe()` once per finished call (not per frame), so plain
 * prom-client histograms and counters are cheap enough here. Values are converted to base units (seconds).
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import { callMos, type CallMos, type CallQualitySummary } from './call-quality.js';
import { LabelGuard } from './label-guard.js';
import { DIRECTION_LABELS, LABEL, METRIC } from './names.js';

/** METRIC.callMos buckets: 1 … 4.5 by 0.25. */
export const MOS_BUCKETS: readonly number[] = Array.from({ length: 15 }, (_, i) => 1 + i * 0.25);
/** METRIC.jitterBufferDepth buckets, seconds. */
export const JITTER_BUFFER_BUCKETS: readonly number[] = [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.12, 0.15, 0.2, 0.3, 0.5];
/** METRIC.rtcpJitter buckets, seconds. */
export const RTCP_JITTER_BUCKETS: readonly number[] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2];
/** METRIC.bargeInReaction buckets, seconds. */
export const BARGE_IN_BUCKETS: readonly number[] = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5];

type DirectionLabelName = typeof LABEL.direction;
type ReasonLabelName = typeof LABEL.reason;

export class CallEndMetrics {
  private readonly mos: Histogram;
  private readonly jitterBuffer: Histogram;
  private readonly rtcpJitter: Histogram;
  private readonly bargeIn: Histogram;
  private readonly lost: Counter<DirectionLabelName>;
  private readonly expected: Counter<DirectionLabelName>;
  private readonly dropped: Counter<DirectionLabelName | ReasonLabelName>;
  private readonly reasons = new LabelGuard();

  constructor(registry: Registry) {
    const registers = [registry];
    this.mos = new Histogram({ name: METRIC.callMos, help: 'Estimated MOS of each finished call (ITU-T G.107 E-model, narrowband, from measured delay and loss).', buckets: [...MOS_BUCKETS], registers });
    this.jitterBuffer = new Histogram({ name: METRIC.jitterBufferDepth, help: "Caller-side jitter-buffer depth at call end, seconds.", buckets: [...JITTER_BUFFER_BUCKETS], registers });
    this.rtcpJitter = new Histogram({ name: METRIC.rtcpJitter, help: "RFC 3550 interarrival jitter of the caller's RTP at call end, seconds.", buckets: [...RTCP_JITTER_BUCKETS], registers });
    this.bargeIn = new Histogram({ name: METRIC.bargeInReaction, help: 'Barge-in reaction: caller speech onset to agent audio stopped, seconds.', buckets: [...BARGE_IN_BUCKETS], registers });
    this.lost = new Counter({ name: METRIC.packetsLostTotal, help: 'RTP packets lost (uplink: by sequence number; downlink: from the caller RTCP reports).', labelNames: [LABEL.direction], registers });
    this.expected = new Counter({ name: METRIC.packetsExpectedTotal, help: 'RTP packets expected, the denominator of the loss ratio.', labelNames: [LABEL.direction], registers });
    this.dropped = new Counter({ name: METRIC.droppedFramesTotal, help: 'Audio frames dropped by the gateway, by direction and reason.', labelNames: [LABEL.direction, LABEL.reason], registers });
    for (const direction of DIRECTION_LABELS) {
      this.lost.inc({ direction }, 0);
      this.expected.inc({ direction }, 0);
    }
  }

  /** Records one finished call; returns its MOS estimate (for the call span) or `undefined` if it cannot be rated. */
  observe(summary: CallQualitySummary): CallMos | undefined {
    const rated = callMos(summary);
    if (rated) this.mos.observe(rated.mos);
    observeSeconds(this.jitterBuffer, summary.jitterBufferDepthMs);
    observeSeconds(this.rtcpJitter, summary.jitterMs);
    for (const ms of summary.bargeInReactionsMs ?? []) observeSeconds(this.bargeIn, ms);
    incCount(this.expected, { direction: 'uplink' }, summary.packetsExpected);
    incCount(this.lost, { direction: 'uplink' }, summary.packetsLost);
    if (summary.downlink) {
      incCount(this.expected, { direction: 'downlink' }, summary.downlink.packetsExpected);
      incCount(this.lost, { direction: 'downlink' }, summary.downlink.packetsLost);
    }
    for (const d of summary.droppedFrames ?? []) {
      if (d.direction !== 'uplink' && d.direction !== 'downlink') continue;
      incCount(this.dropped, { direction: d.direction, reason: this.reasons.value(d.reason) }, d.count);
    }
    return rated;
  }
}

function observeSeconds(h: Histogram, ms: number | undefined): void {
  if (ms !== undefined && Number.isFinite(ms) && ms >= 0) h.observe(ms / 1000);
}

function incCount<L extends string>(c: Counter<L>, labels: Partial<Record<L, string>>, n: number): void {
  if (Number.isFinite(n) && n > 0) c.inc(labels, n);
}
