/** The options a call's media engine is built with, and small pure helpers over the negotiated session. */
import type { Logger } from 'pino';
import type { NegotiatedMedia } from '../sdp/index.js';
import type { HopMetrics } from '../metrics/hop-metrics.js';
import type { BargeInMode } from './barge-in.js';
import type { MediaClock } from './media-clock.js';
import type { MediaPorts } from './port-pool.js';
import { samplesToMs } from './audio/frame.js';
import type { SileroModel, SpeechDetectorOptions } from './vad/index.js';

export interface MediaSettings {
  jitter: { minMs: number; maxMs: number; startMs: number };
  leadMs: number;
  maxPlayoutMs: number;
  rtcpIntervalMs: number;
  rtpTimeoutMs: number;
}

export interface CallMediaEvents {
  /** The agent asked to hang up. */
  onHangupRequest(reason: string): void;
  /** The agent went away. */
  onAgentGone(reason: string): void;
  /** The caller sent no RTP for `rtpTimeoutMs` while we expected some. */
  onRtpTimeout(): void;
}

export interface BargeInSettings {
  mode: BargeInMode;
  /** Detector thresholds (the sample rate comes from the codec). */
  speech: Omit<SpeechDetectorOptions, 'sampleRate'>;
  /** After an interruption, agent audio is dropped until its `clear`, or for this long. */
  guardMs: number;
  /** Ask the neural confirmer before an onset counts. */
  confirm?: { threshold: number } | undefined;
  /** The shared Silero model, loaded at start-up when any number asks for confirmation. */
  silero?: SileroModel | undefined;
}

export interface CallMediaOptions {
  callId: string;
  /** Where hop latencies are recorded (shared by all calls). */
  hops: HopMetrics;
  bargeIn: BargeInSettings;
  ports: MediaPorts;
  negotiated: NegotiatedMedia;
  clock: MediaClock;
  settings: MediaSettings;
  logger: Logger;
  events: CallMediaEvents;
}

export function ms(samples: number): number {
  return Math.round(samplesToMs(samples));
}

export function targetOf(n: NegotiatedMedia): { address: string; rtpPort: number; rtcpPort: number } {
  return { address: n.remote.address, rtpPort: n.remote.rtpPort, rtcpPort: n.remote.rtcpPort };
}

export function payloadTypes(n: NegotiatedMedia): ReadonlySet<number> {
  return new Set(n.telephoneEvent ? [n.codec.payloadType, n.telephoneEvent.payloadType] : [n.codec.payloadType]);
}
