/**
 * Patchbay agent streaming protocol v1: the message types, as they travel on the agent's WebSocket as JSON text.
 * Audio is not here: it travels as binary messages of raw PCM16 (see `AUDIO_FORMAT`). The full contract, with
 * examples and timelines, is `docs/protocol.md`.
 *
 * To add a message: add its interface, add it to the union and its `type` to the matching `..._TYPES` list, and add
 * its schema in `parse.ts` (the compiler then points at every exhaustive `switch` that must handle it).
 */

import type { BridgeCommand, CancelConsultCommand, ConsultCommand, ConsultEvent, ResumeInfo, SupervisorAudioEvent } from './people.js';

export * from './people.js';

export const PROTOCOL_VERSION = 1;

/**
 * The protocol version travels in a header, not a WebSocket subprotocol: many agent frameworks fail the handshake
 * when a client offers a subprotocol they do not select, and the gateway must reach agents written with any of them.
 */
export const HEADER_PROTOCOL = 'x-patchbay-protocol';

/** Upgrade request headers the gateway sends (lower case, as Node's `IncomingMessage.headers` has them). */
export const HEADER_TOKEN = 'x-patchbay-token';
export const HEADER_CALL_ID = 'x-patchbay-call-id';

export interface AudioFormat {
  encoding: 'pcm16';
  sampleRate: 24000;
  channels: 1;
  frameMs: 20;
}

/** PCM16 little-endian, mono, 24 kHz; the gateway sends one 20 ms frame per binary message. */
export const AUDIO_FORMAT: AudioFormat = { encoding: 'pcm16', sampleRate: 24000, channels: 1, frameMs: 20 };

/** Samples in one 20 ms frame at 24 kHz. */
export const FRAME_SAMPLES = 480;
/** Bytes in one 20 ms frame of PCM16 mono. */
export const FRAME_BYTES = FRAME_SAMPLES * 2;
/** Samples per millisecond at 24 kHz. */
export const SAMPLES_PER_MS = 24;

// ---- gateway → agent -------------------------------------------------------------------------------------------

/** First message on every connection: who is calling whom, and the audio format. */
export interface StartMessage {
  type: 'start';
  version: 1;
  callId: string;
  streamId: string;
  from: string;
  to: string;
  direction: 'inbound' | 'outbound';
  parameters: Record<string, string>;
  audio: AudioFormat;
  /**
   * Present when this connection picks up a call already under way: its agent failed mid-call (its socket dropped,
   * it went silent while the caller waited, or it errored) and the gateway re-dialled it, the caller hearing a short
   * "one moment" prompt meanwhile; or the person the caller was forwarded to hung up and the call came back to its
   * agent (`cause: person-hangup`). Absent on a call's first connection.
   */
  resume?: ResumeInfo;
}

/** A digit the caller pressed. */
export interface DtmfEvent {
  type: 'dtmf';
  digit: string;
  durationMs: number;
  source: 'rfc4733' | 'sip-info';
}

/** Answer to a `mark` command: `played` when all audio sent before it has left on RTP, else `cleared`. */
export interface MarkEvent {
  type: 'mark';
  name: string;
  status: 'played' | 'cleared';
  playedMs: number;
}

/**
 * Where a cut (`cleared`, `interrupted`) left the *item* that was playing. A turn (everything since the call began or
 * since the agent's last `clear`) can hold several items (a greeting, then an answer...); with a `mark` after each
 * item's audio, `itemPlayedMs` is the cut item's own position: pass it unchanged as OpenAI Realtime's
 * `conversation.item.truncate.audio_end_ms`.
 */
export interface ItemPosition {
  /**
   * Audio that left on RTP since the turn's last mark that came back `played` (`afterMark`), or since the turn
   * began when none did: `floor(samples / 24)`. Always sent by Patchbay gateways; optional for older ones.
   */
  itemPlayedMs?: number;
  /** The mark `itemPlayedMs` counts from; absent when it counts from the turn's start. */
  afterMark?: string;
}

/** Answer to a `clear` command; `turnId` echoes the command's. */
export interface ClearedEvent extends ItemPosition {
  type: 'cleared';
  droppedMs: number;
  /** Audio of the turn (since the call began or the previous `clear`) that left on RTP. */
  playedMs: number;
  turnId?: string;
}

/**
 * The caller spoke over the agent and the gateway stopped the agent's audio itself (`bargeIn: gateway`).
 * `playedMs` is the agent audio that actually left on RTP since the turn started (the last `clear`, or the call),
 * exact to the 20 ms packet: it spans every item played in the turn. `itemPlayedMs` is the position inside the
 * item that was cut (see `ItemPosition`): that is OpenAI Realtime's `audio_end_ms`. Pending marks were reported
 * `cleared` just before; their names are repeated in `marks`. Audio still in flight from the interrupted turn is
 * discarded until you send `clear`.
 */
export interface InterruptedEvent extends ItemPosition {
  type: 'interrupted';
  playedMs: number;
  droppedMs: number;
  marks: string[];
}

/** The caller started speaking; `atMs` is the onset's position in the caller audio stream (ms since answer). */
export interface SpeechStartedEvent {
  type: 'speech_started';
  atMs: number;
}

/** The caller stopped speaking (after the gateway's hangover); `atMs` is the end of speech in the caller stream. */
export interface SpeechStoppedEvent {
  type: 'speech_stopped';
  atMs: number;
}

/** The call is over; the gateway closes the socket next. */
export interface StopEvent {
  type: 'stop';
  /** One of `StopReason` (the gateway sends nothing else; see docs/protocol.md §stop). */
  reason: StopReasonValue;
}

/** Something the agent sent could not be honoured, or audio was lost; the call goes on. */
export interface ErrorEvent {
  type: 'error';
  /** One of `GatewayErrorCode` (the gateway sends nothing else; see docs/protocol.md §error). */
  code: GatewayErrorCodeValue;
  message: string;
  droppedMs?: number;
}

export type GatewayMessage =
  | StartMessage
  | ConsultEvent
  | SupervisorAudioEvent
  | DtmfEvent
  | MarkEvent
  | ClearedEvent
  | InterruptedEvent
  | SpeechStartedEvent
  | SpeechStoppedEvent
  | StopEvent
  | ErrorEvent;

export const GATEWAY_MESSAGE_TYPES = [
  'start',
  'dtmf',
  'mark',
  'cleared',
  'interrupted',
  'speech_started',
  'speech_stopped',
  'stop',
  'error',
  'consult',
  'supervisor_audio',
] as const satisfies readonly GatewayMessage['type'][];

/** `code` values of `ErrorEvent` in v1. New codes may be added; agents should log unknown ones and carry on. */
export const GatewayErrorCode = {
  /** The agent sent more audio than the playout buffer holds; `droppedMs` of the newest audio was discarded. */
  PlayoutOverflow: 'playout_overflow',
  /** The agent read too slowly; `droppedMs` of the oldest caller audio was discarded. */
  UplinkOverflow: 'uplink_overflow',
  /** A text message did not parse, had an unknown `type`, or a binary message had an odd length. */
  BadMessage: 'bad_message',
  /** Your `transfer` was refused (destination policy, no dialog yet, one already running) or failed; the call goes on. */
  TransferFailed: 'transfer_failed',
  /** Your `dtmf` cannot be sent: the caller's side did not negotiate telephone-event (RFC 4733). */
  DtmfUnsupported: 'dtmf_unsupported',
  /** A digit of your `dtmf` was not sent: the call's outgoing DTMF queue is full. */
  DtmfQueueFull: 'dtmf_queue_full',
} as const;

export type GatewayErrorCodeValue = (typeof GatewayErrorCode)[keyof typeof GatewayErrorCode];

/** `reason` values of `StopEvent` in v1. New reasons may be added. */
export const StopReason = {
  /** The caller hung up (BYE), or cancelled before the answer. */
  CallerHangup: 'caller_hangup',
  /** You sent `hangup` (or the gateway's operator hung the call up through its API). */
  AgentHangup: 'agent_hangup',
  /** Your socket closed (or your in-process agent ended) while the call was up. */
  AgentClosed: 'agent_closed',
  GatewayShutdown: 'gateway_shutdown',
  /** The agent's `transfer` succeeded: the caller now talks to the transfer target. */
  Transferred: 'transferred',
  /** No RTP from the caller for `media.rtpTimeoutMs`: the caller's side is gone. */
  RtpTimeout: 'rtp_timeout',
  /** The number's agent could not be reached and the apology agent answered instead (only it receives this). */
  AgentUnavailable: 'agent_unavailable',
  /** The call failed (no ACK for the answer, an unusable SDP answer, a fault in the gateway). */
  Error: 'error',
} as const;

export type StopReasonValue = (typeof StopReason)[keyof typeof StopReason];

// ---- agent → gateway -------------------------------------------------------------------------------------------

/** Ask to be told when all audio sent so far has been played (or was cleared). */
export interface MarkCommand {
  type: 'mark';
  name: string;
}

/**
 * Drop all buffered audio now (barge-in); answered with `cleared`, and pending marks come back `cleared`. After an
 * `interrupted`, it also says "I have stopped that turn": audio you send after it plays again. `turnId` is yours,
 * echoed in `cleared`.
 */
export interface ClearCommand {
  type: 'clear';
  turnId?: string;
}

/** End the call now. */
export interface HangupCommand {
  type: 'hangup';
  reason?: string;
}

/** Send DTMF digits to the caller's side (RFC 4733, or SIP INFO). */
export interface SendDtmfCommand {
  type: 'dtmf';
  digits: string;
  durationMs?: number;
}

/**
 * Hand the caller to someone else (blind transfer: SIP REFER to the caller's side). `target` is a phone number
 * (`+15551234567`) or a SIP URI (`sip:desk@pbx.example`). When the transfer is accepted the call ends with
 * `stop{reason: 'transferred'}`; when it fails the call goes on and the agent gets `error{code: 'transfer_failed'}`.
 */
export interface TransferCommand {
  type: 'transfer';
  target: string;
}

/** The stages of an agent's own pipeline it may time (`stage` messages), each a latency in ms. */
export const AGENT_STAGES = [
  /** Speech-to-text: end of the caller's speech → final transcript. */
  'stt',
  /** Language model: request sent → first token. */
  'llm',
  /** Text-to-speech: request sent → first audio byte. */
  'tts',
  /** A speech-to-speech model: end of the caller's speech (or commit) → first audio. */
  'realtime',
] as const;
export type AgentStage = (typeof AGENT_STAGES)[number];

/**
 * The agent timed one stage of its own pipeline: the gateway adds it to the call's turn (trace) and to its stage
 * histograms. Optional; costs nothing when unused.
 */
export interface StageReport {
  type: 'stage';
  stage: AgentStage;
  ms: number;
}

/** Who said a transcript line: the caller (the agent's speech-to-text) or the agent itself. */
export const TRANSCRIPT_ROLES = ['caller', 'agent'] as const;
export type TranscriptRole = (typeof TRANSCRIPT_ROLES)[number];

/**
 * A line of the conversation as the agent understood it (its STT result, or its own reply text): stored with the
 * call's record and shown by the API. Optional; partial lines (`final: false`) may be sent and are kept as such.
 */
export interface TranscriptMessage {
  type: 'transcript';
  role: TranscriptRole;
  text: string;
  final: boolean;
}

export type AgentMessage =
  | MarkCommand
  | ClearCommand
  | HangupCommand
  | SendDtmfCommand
  | TransferCommand
  | ConsultCommand
  | BridgeCommand
  | CancelConsultCommand
  | StageReport
  | TranscriptMessage;

export const AGENT_MESSAGE_TYPES = ['mark', 'clear', 'hangup', 'dtmf', 'transfer', 'consult', 'bridge', 'cancel_consult', 'stage', 'transcript'] as const satisfies readonly AgentMessage['type'][];

// ---- limits ----------------------------------------------------------------------------------------------------

export const PROTOCOL_LIMITS = {
  /** Largest JSON text message, in UTF-8 bytes. */
  maxJsonBytes: 64 * 1024,
  /** Mark names, ids, reasons, phone numbers, parameter keys. */
  maxNameChars: 256,
  /** Error messages and parameter values. */
  maxTextChars: 4096,
  /** Characters in a transfer target. */
  maxTargetChars: 512,
  /** Largest stage latency reported (ms): an hour. */
  maxStageMs: 3_600_000,
  /** Transcript lines in a `start.resume`. */
  maxResumeLines: 50,
  /** Digits in one `dtmf` command. */
  maxDigits: 64,
  /** Range of `durationMs` in a `dtmf` command. */
  minDtmfMs: 40,
  maxDtmfMs: 2000,
  /** Entries in `start.parameters`. */
  maxParameters: 64,
} as const;

/** Characters allowed in DTMF digits. */
export const DTMF_DIGITS = '0123456789*#ABCD';
