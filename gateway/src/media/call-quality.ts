/**
 * A finished call's quality, as plain data for the main thread's metrics and trace (observability's
 * CallQualitySummary: it rates it with the E-model): loss both ways, jitter, the jitter buffer's depth, the round
 * trip when the caller sends RTCP, a mouth-to-ear delay estimate, the audio dropped, and each barge-in's reaction.
 * Computed once, when the call's media closes, from counters the media keeps anyway.
 */
import type { CallQualitySummary, DroppedFrames } from '@patchbay/observability';
import { FRAME_SAMPLES } from './audio/frame.js';
import type { CallMedia } from './call-media.js';

export type CallQuality = CallQualitySummary;

export interface CallQualityContext {
  /** How long the media ran, ms. */
  durationMs: number;
  /** Caller frames the agent link dropped because the agent did not keep up. */
  uplinkDroppedFrames: number;
  /** The playout lead: agent audio waits this long before its first packet. */
  leadMs: number;
  /** Mean processing of one packet through the gateway each way (the plane's hop histograms), ms. */
  uplinkProcessingMs: number;
  downlinkProcessingMs: number;
}

/**
 * The summary of a call from its media's counters. The one-way delay estimate is what the gateway adds to
 * mouth-to-ear delay plus half the network round trip when RTCP measured it: packetisation (one packet time),
 * the caller-side reorder/jitter buffer, processing both ways, and the playout lead.
 */
export function callQuality(stats: CallMedia['stats'], ctx: CallQualityContext): CallQuality {
  const jitter = stats.jitter;
  const bufferMs = Math.max(jitter.depthMs, jitter.targetMs);
  const remote = stats.remote;
  const rttMs = remote?.rttMs;
  const oneWayDelayMs = stats.uplinkPtimeMs + bufferMs + ctx.uplinkProcessingMs + ctx.downlinkProcessingMs + ctx.leadMs + (rttMs ?? 0) / 2;
  const dropped: DroppedFrames[] = [
    { direction: 'uplink', reason: 'agent-slow', count: ctx.uplinkDroppedFrames },
    { direction: 'downlink', reason: 'playout-overflow', count: Math.round(stats.playoutOverflowSamples / FRAME_SAMPLES) },
    { direction: 'downlink', reason: 'stall-trimmed', count: Math.round(stats.stallTrimmedSamples / FRAME_SAMPLES) },
  ];
  return {
    codec: stats.codec,
    durationMs: Math.max(0, ctx.durationMs),
    packetsExpected: Math.max(0, stats.expected),
    packetsLost: Math.max(0, stats.lost),
    packetsLate: jitter.late,
    jitterMs: stats.rtcpJitterMs,
    ...(rttMs === undefined ? {} : { rttMs }),
    oneWayDelayMs,
    jitterBufferDepthMs: bufferMs,
    ...(remote ? { downlink: { packetsExpected: remote.packetsSent, packetsLost: Math.max(0, remote.cumulativeLost) } } : {}),
    droppedFrames: dropped.filter((d) => d.count > 0),
    bargeInReactionsMs: [...stats.bargeIn.reactionMs],
  };
}
