/**
 * Latency of every hop a call's audio takes through the gateway, aggregated over all calls. Recorded on the media
 * hot path (O(1) each), read by `GET /stats` and the bench; the Prometheus exporter reads the same histograms.
 */
import type { AgentStage } from '@patchbay/agents';
import { LatencyHistogram, type Distribution, type HistogramState } from './latency-histogram.js';

export type HopName =
  | 'uplinkMs'
  | 'uplinkProcessingMs'
  | 'downlinkMs'
  | 'downlinkProcessingMs'
  | 'turnMs'
  | 'bargeInMs'
  | 'setupMs'
  | 'sttMs'
  | 'llmMs'
  | 'ttsMs'
  | 'realtimeMs';
export type HopSnapshot = Record<HopName, Distribution>;
export type HopState = Record<HopName, HistogramState>;

export const HOP_NAMES: readonly HopName[] = ['uplinkMs', 'uplinkProcessingMs', 'downlinkMs', 'downlinkProcessingMs', 'turnMs', 'bargeInMs', 'setupMs', 'sttMs', 'llmMs', 'ttsMs', 'realtimeMs'];

/** The histogram each agent `stage` report goes to. */
export const STAGE_HOPS = { stt: 'sttMs', llm: 'llmMs', tts: 'ttsMs', realtime: 'realtimeMs' } as const satisfies Record<AgentStage, HopName>;

export class HopMetrics {
  /** RTP arrival → the frame handed to the agent link (includes the jitter buffer's wait). */
  readonly uplinkMs = new LatencyHistogram();
  /** The jitter buffer's pop → the frame handed to the agent link: decode, resample, speech detection. */
  readonly uplinkProcessingMs = new LatencyHistogram();
  /** Agent audio received → its first sample sent on RTP (includes the lead buffer and pacing to the next tick). */
  readonly downlinkMs = new LatencyHistogram();
  /** Taking a packet from the playout queue → sent on RTP: resample, encode, send. */
  readonly downlinkProcessingMs = new LatencyHistogram();
  /** End of the caller's speech (its last packet's arrival) → the agent's next audio sent on RTP. */
  readonly turnMs = new LatencyHistogram();
  /** Caller speech onset (its packet's arrival) → the agent's last packet (barge-in). */
  readonly bargeInMs = new LatencyHistogram();
  /** Initial INVITE admitted → 200 OK sent (without ringing or answer delay when none is configured). */
  readonly setupMs = new LatencyHistogram();
  /** Agents' own stages, as they report them (`stage` messages): speech-to-text final, LLM first token, TTS first byte, speech-to-speech first audio. */
  readonly sttMs = new LatencyHistogram();
  readonly llmMs = new LatencyHistogram();
  readonly ttsMs = new LatencyHistogram();
  readonly realtimeMs = new LatencyHistogram();

  /**
   * Starts a new peak (max) window. Counts and sums never reset: Prometheus reads them as monotonic counters, and a
   * measurement window (`GET /stats?reset=1`) is the difference from a baseline (HopWindow).
   */
  resetPeaks(): void {
    for (const name of HOP_NAMES) this[name].resetPeak();
  }

  /** Raw histograms, to be merged elsewhere (a media worker's, sent to the main thread). */
  state(): HopState {
    return Object.fromEntries(HOP_NAMES.map((name) => [name, this[name].state()])) as HopState;
  }

  merge(state: HopState): void {
    for (const name of HOP_NAMES) this[name].merge(state[name]);
  }

  snapshot(): HopSnapshot {
    return Object.fromEntries(HOP_NAMES.map((name) => [name, this[name].snapshot()])) as HopSnapshot;
  }

  /** Histograms holding `state`'s samples (e.g. a window's), for percentiles. */
  static from(state: HopState): HopMetrics {
    const hops = new HopMetrics();
    for (const name of HOP_NAMES) hops[name].load(state[name]);
    return hops;
  }
}
