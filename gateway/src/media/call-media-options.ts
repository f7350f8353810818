/** The options a call's media engine is built with, and small helpers that build its parts from the negotiated session. */
import type { Logger } from 'pino';
import type { WarmTransferCommand } from '../media-plane/plane.js';
import type { NegotiatedMedia } from '../sdp/index.js';
import type { HopMetrics } from '../metrics/hop-metrics.js';
import type { MediaTraceEvent } from './turn-trace.js';
import type { MediaTimelineEvent } from './timeline.js';
import { CallerSpeech, type BargeInMode } from './barge-in.js';
import type { OpusApplication } from './codecs/index.js';
import { DtmfSender } from './dtmf/rfc4733.js';
import type { MediaClock } from './media-clock.js';
import type { MediaPorts } from './port-pool.js';
import type { RtpSourceRules } from './rtp-endpoint.js';
import type { SrtpFailureCounts } from './srtp-packet-transport.js';
import type { SrtpKeys, SrtpSession } from './srtp/types.js';
import type { JitterSettings, UplinkOptions } from './uplink.js';
import { SileroConfirmer, SpeechDetector, type SileroModel, type SpeechDetectorOptions } from './vad/index.js';

export interface MediaSettings {
  /** How the caller's audio is put in order: `immediate` (no deliberate delay) or an `adaptive` jitter buffer. */
  jitter: JitterSettings;
  leadMs: number;
  maxPlayoutMs: number;
  rtcpIntervalMs: number;
  rtpTimeoutMs: number;
  /** The Opus encoder's settings (`media.opus`); absent: the codec's defaults. */
  opus?: OpusSettings | undefined;
}

/** `media.opus` as configured. */
export interface OpusSettings {
  application: OpusApplication;
  complexity: number;
  fec: boolean;
  packetLossPercent: number;
  bitrate: number;
}

/**
 * A tap on a call's audio at 24 kHz (a supervisor: monitor/mixer.ts). Runs inside the media tick, so it must be cheap
 * and must not throw.
 */
export interface MediaTap {
  /** A caller frame on its way to the agent (or the bridged leg); returns what goes there instead (or the frame). */
  uplink(frame: Int16Array): Int16Array;
  /**
   * One packet of what the caller is about to hear (`count` samples; undefined: nothing is playing); returns what
   * they hear instead (or `samples`).
   */
  downlink(samples: Int16Array | undefined, count: number): Int16Array | undefined;
}

export interface CallMediaEvents {
  /** The agent asked to hang up. */
  onHangupRequest(reason: string): void;
  /** The agent asked to transfer the caller to `target` (a phone number or a sip:/sips: URI, as the agent sent it). */
  onTransferRequest(target: string): void;
  /** The agent's warm-transfer command (`consult`, `bridge`, `cancel_consult`). */
  onWarmTransfer(msg: WarmTransferCommand): void;
  /** The agent went away. */
  onAgentGone(reason: string): void;
  /** The caller sent no RTP for `rtpTimeoutMs` while we expected some. */
  onRtpTimeout(): void;
  /**
   * Handling one of the call's own events threw (a clock tick, an RTP or RTCP packet, a send): the media has stopped
   * itself and the call should end with reason `error`. Without it such a fault only stops this call's media.
   */
  onFault?(err: unknown): void;
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

/** How a call whose session negotiated SRTP (`negotiated.srtp`: its keys, plain bytes) gets its SRTP session. */
export interface CallSrtp {
  createSession(keys: SrtpKeys): SrtpSession;
  /** The plane's totals of refused packets, by failure. */
  totals?: SrtpFailureCounts | undefined;
}

export interface CallMediaOptions {
  callId: string;
  /**
   * A bridged leg (bridge/junction.ts): its agent side is another call's caller, a continuous stream, and a person
   * hears its caller. So its caller's packets go through the adaptive jitter buffer (`uplinkOptions`), barge-in does
   * not interrupt, the playout treats its source as continuous (PlayoutQueue `continuous`: a spurt starts only with
   * the whole lead, depth beyond it trimmed in pauses) and a due packet may wait briefly for its frame. `handOver`
   * makes a live call one.
   */
  bridged?: boolean;
  /** Where hop latencies are recorded (shared by all calls). */
  hops: HopMetrics;
  bargeIn: BargeInSettings;
  ports: MediaPorts;
  /** Which sources the call's RTP may come from (default: `signalling-ip`, with only the SDP's address known). */
  sources?: RtpSourceRules | undefined;
  negotiated: NegotiatedMedia;
  /** Needed when `negotiated.srtp` is set (the SRTP library); the engine above the transport never sees a key. */
  srtp?: CallSrtp | undefined;
  clock: MediaClock;
  settings: MediaSettings;
  logger: Logger;
  events: CallMediaEvents;
  /** Where the call's turn records go when tracing is on (undefined: no per-turn timing at all). */
  trace?: ((event: MediaTraceEvent) => void) | undefined;
  /** Where the call's timeline goes (turns, barge-ins, marks, DTMF, transcript, stages, errors): always on in the gateway. */
  timeline?: ((event: MediaTimelineEvent) => void) | undefined;
}

export function targetOf(n: NegotiatedMedia): { address: string; rtpPort: number; rtcpPort: number } {
  return { address: n.remote.address, rtpPort: n.remote.rtpPort, rtcpPort: n.remote.rtcpPort };
}

/** Whether two negotiations carry the same SRTP keys (a re-INVITE may bring new ones). */
export function sameSrtpKeys(a: SrtpKeys | undefined, b: SrtpKeys | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const same = (x: Uint8Array, y: Uint8Array): boolean => Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(y);
  return (
    a.local.suite === b.local.suite &&
    a.remote.suite === b.remote.suite &&
    same(a.local.masterKey, b.local.masterKey) &&
    same(a.local.masterSalt, b.local.masterSalt) &&
    same(a.remote.masterKey, b.remote.masterKey) &&
    same(a.remote.masterSalt, b.remote.masterSalt)
  );
}

export function payloadTypes(n: NegotiatedMedia): ReadonlySet<number> {
  return new Set(n.telephoneEvent ? [n.codec.payloadType, n.telephoneEvent.payloadType] : [n.codec.payloadType]);
}

/** `bridged`: the adaptive jitter buffer whatever `media.jitter.mode` says (`immediate` is for agents, which listen). */
export function uplinkOptions(n: NegotiatedMedia, settings: MediaSettings, logger: Logger, bridged: boolean): UplinkOptions {
  return {
    ptimeMs: n.ptimeMs,
    clockRate: n.codec.clockRate,
    telephoneEventPt: n.telephoneEvent?.payloadType,
    telephoneEventRate: n.telephoneEvent?.clockRate ?? 8000,
    jitter: bridged && settings.jitter.mode !== 'adaptive' ? { ...settings.jitter, mode: 'adaptive' } : settings.jitter,
    logger,
  };
}

export function dtmfSenderFor(n: NegotiatedMedia): DtmfSender | undefined {
  return n.telephoneEvent ? new DtmfSender({ clockRate: n.telephoneEvent.clockRate, ptimeMs: n.ptimeMs }) : undefined;
}

/** The caller's speech detection for a codec decoding at `pcmRate` (the detector runs at 8, 16 or 24 kHz). */
export function callerSpeech(bargeIn: BargeInSettings, pcmRate: number): CallerSpeech {
  const detectorRate = pcmRate === 8000 || pcmRate === 16000 ? pcmRate : 24000;
  return new CallerSpeech(
    bargeIn.mode,
    bargeIn.mode === 'off' ? undefined : new SpeechDetector({ ...bargeIn.speech, sampleRate: detectorRate }),
    (detectorRate * 20) / 1000,
    bargeIn.mode !== 'off' && bargeIn.confirm && bargeIn.silero
      ? new SileroConfirmer(bargeIn.silero, { sampleRate: detectorRate, threshold: bargeIn.confirm.threshold })
      : undefined,
  );
}
