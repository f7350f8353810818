/**
 * What the gateway reports once per finished call (`GatewayMetrics.observeCallEnd`), and how it becomes E-model
 * input. Only numbers and closed-set strings: no call id, no phone number.
 */
import { codecImpairment } from './codec-impairment.js';
import { eModel, type EModelInput, type EModelResult } from './mos.js';
import type { DirectionLabel } from './names.js';

export interface DroppedFrames {
  /** `uplink` = caller → gateway (towards the agent); `downlink` = gateway → caller. */
  direction: DirectionLabel;
  /** A closed set chosen by the gateway: `agent-slow`, `playout-overflow`, … (other values collapse to `other`). */
  reason: string;
  count: number;
}

export interface CallQualitySummary {
  /** The negotiated SDP encoding name: PCMU, PCMA, G722, opus. */
  codec: string;
  durationMs: number;
  /** Caller → gateway RTP packets expected (from sequence numbers) and lost on the network. */
  packetsExpected: number;
  packetsLost: number;
  /** Caller → gateway packets that arrived but were discarded by the jitter buffer as too late. */
  packetsLate?: number;
  /** RFC 3550 interarrival jitter of the caller's RTP at call end, ms. */
  jitterMs: number;
  /** Round-trip time from RTCP (LSR/DLSR), when the caller sends reports. */
  rttMs?: number;
  /**
   * Mouth-to-ear estimate, ms: uplink + downlink processing + jitter buffer + playout lead + RTT/2 when known.
   * Must include the jitter buffer's delay (it is raised to `jitterBufferDepthMs` if lower).
   */
  oneWayDelayMs: number;
  /** Jitter-buffer / reorder depth at call end, ms. */
  jitterBufferDepthMs: number;
  /** Gateway → caller packets, from the caller's RTCP receiver reports, when it sends them. */
  downlink?: { packetsExpected: number; packetsLost: number };
  droppedFrames?: readonly DroppedFrames[];
  /** Each barge-in of the call: caller speech onset → agent audio stopped, ms. */
  bargeInReactionsMs?: readonly number[];
}

export interface CallMos extends EModelResult {
  /** The loss the rating used, percent (the worse direction, late discards counted as lost). */
  packetLossPercent: number;
  /** The delay the rating used, ms. */
  oneWayDelayMs: number;
  codecKnown: boolean;
}

/**
 * The E-model input for a call: delay Ta = max(oneWayDelayMs, jitterBufferDepthMs) (the jitter buffer's wait is part
 * of mouth-to-ear delay); loss Ppl = the worse of uplink (lost + late discards) / expected and downlink lost /
 * expected from RTCP, in percent, as random loss (BurstR 1); Ie and Bpl from the codec. Jitter itself is not an
 * E-model input: it costs what the jitter buffer adds to delay and what arrives too late for it (both counted here).
 * `undefined` when the call expected no packets (nothing to rate) or a number is not finite.
 */
export function callQualityInput(summary: CallQualitySummary): (EModelInput & { codecKnown: boolean }) | undefined {
  const { packetsExpected, packetsLost, oneWayDelayMs, jitterBufferDepthMs } = summary;
  const late = summary.packetsLate ?? 0;
  if (![packetsExpected, packetsLost, late, oneWayDelayMs, jitterBufferDepthMs].every((n) => Number.isFinite(n) && n >= 0)) return undefined;
  if (packetsExpected <= 0) return undefined;
  let loss = ratioPercent(packetsLost + late, packetsExpected);
  const down = summary.downlink;
  if (down && Number.isFinite(down.packetsExpected) && Number.isFinite(down.packetsLost) && down.packetsExpected > 0) {
    loss = Math.max(loss, ratioPercent(down.packetsLost, down.packetsExpected));
  }
  const codec = codecImpairment(summary.codec);
  return {
    oneWayDelayMs: Math.max(oneWayDelayMs, jitterBufferDepthMs),
    packetLossPercent: loss,
    burstR: 1,
    ie: codec.ie,
    bpl: codec.bpl,
    codecKnown: codec.known,
  };
}

/** The call's E-model rating and MOS, or `undefined` when it cannot be rated (see `callQualityInput`). */
export function callMos(summary: CallQualitySummary): CallMos | undefined {
  const input = callQualityInput(summary);
  if (!input) return undefined;
  return { ...eModel(input), packetLossPercent: input.packetLossPercent, oneWayDelayMs: input.oneWayDelayMs, codecKnown: input.codecKnown };
}

function ratioPercent(part: number, whole: number): number {
  return Math.min(100, Math.max(0, (100 * part) / whole));
}
