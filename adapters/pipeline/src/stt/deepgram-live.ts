/**
 * Deepgram live speech-to-text for one call, through `@deepgram/sdk`'s listen v1 socket (`wss://…/v1/listen`,
 * `Authorization: Token <key>`). The caller's 20 ms frames go out as they are (linear16, 24 kHz, mono); results come
 * back as interim and final transcripts, `speech_final` at Deepgram's endpoint, `UtteranceEnd` after
 * `utterance_end_ms` without words, and `SpeechStarted`.
 *
 * Times: Deepgram counts seconds of audio from a connection's first frame; they are turned into positions in the
 * caller's stream (ms since answer, the gateway's `atMs` clock) with the position of that first frame.
 *
 * Robustness: frames are held (bounded, oldest dropped) while the socket opens; KeepAlive goes out when no audio has
 * for `keepAliveMs` (the gateway streams silence, so only if the uplink stalls); a dropped socket is reopened once
 * (the SDK's own retries are off: their back-off is seconds), and a second failure within `reconnectWindowMs` is
 * reported to `failed` (the session hangs up). `close()` sends CloseStream and closes the socket.
 */
import type { DeepgramClient } from '@deepgram/sdk';
import type { AdapterLogger } from '@patchbay/adapter-kit';
import { PipelineError, PipelineErrorCode, describeError } from '../errors.js';
import type { SttOptions } from '../options.js';
import { parseListenMessage, type ListenMessage } from './deepgram-messages.js';

export interface TranscriptEvent {
  readonly text: string;
  readonly words: number;
  readonly isFinal: boolean;
  readonly speechFinal: boolean;
  /** Caller-stream position (ms) where the transcribed speech ends. */
  readonly endMs: number;
}

export interface SpeechToTextEvents {
  transcript(event: TranscriptEvent): void;
  /** Deepgram saw `utterance_end_ms` without words after the last one, which ended at caller position `lastWordEndMs`. */
  utteranceEnd(lastWordEndMs: number): void;
  speechStarted(atMs: number): void;
  /** The socket is gone for good. */
  failed(error: PipelineError): void;
}

export interface DeepgramLiveTuning {
  /** Frames held while the socket (re)opens: 5 s by default. */
  readonly maxPendingFrames?: number;
  readonly keepAliveMs?: number;
  /** A second drop within this long of a reconnect is final. */
  readonly reconnectWindowMs?: number;
  readonly connectTimeoutS?: number;
}

/** What the session needs of a speech-to-text stream. */
export interface SpeechToText {
  start(): void;
  sendAudio(frame: Int16Array): void;
  close(): void;
}

type ListenSocket = Awaited<ReturnType<DeepgramClient['listen']['v1']['connect']>>;

const SAMPLES_PER_MS = 24;
/** Stop queueing audio in the socket beyond this (about 10 s of audio): a stalled network drops frames instead. */
const MAX_BUFFERED_BYTES = 480_000;

export class DeepgramLive implements SpeechToText {
  /** Frames dropped (socket not open and the hold full, or the network stalled). */
  droppedFrames = 0;
  reconnects = 0;

  private socket: ListenSocket | undefined;
  private open = false;
  private closed = false;
  /** Bumped for every connection attempt: events of older ones are ignored. */
  private generation = 0;
  private readonly abort = new AbortController();
  private readonly pending: { frame: Int16Array; atMs: number }[] = [];
  /** Caller-stream position of the next frame, and of the current connection's first frame. */
  private positionMs = 0;
  private originMs = 0;
  private lastSendMs = performance.now();
  private lastReconnectMs: number | undefined;
  private readonly keepAlive: NodeJS.Timeout;
  private readonly tuning: Required<DeepgramLiveTuning>;

  constructor(
    private readonly client: DeepgramClient,
    private readonly options: SttOptions,
    private readonly events: SpeechToTextEvents,
    private readonly logger: AdapterLogger,
    tuning: DeepgramLiveTuning = {},
  ) {
    this.tuning = { maxPendingFrames: 250, keepAliveMs: 3_000, reconnectWindowMs: 60_000, connectTimeoutS: 5, ...tuning };
    this.keepAlive = setInterval(() => this.sendKeepAlive(), Math.max(50, Math.floor(this.tuning.keepAliveMs / 2)));
    this.keepAlive.unref();
  }

  start(): void {
    this.connect();
  }

  /** One 20 ms caller frame (copied: the caller's array may be reused). */
  sendAudio(frame: Int16Array): void {
    const atMs = this.positionMs;
    this.positionMs += frame.length / SAMPLES_PER_MS;
    if (this.closed) return;
    const socket = this.socket;
    if (this.open && socket !== undefined) {
      if (socket.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
        this.droppedFrames++;
        return;
      }
      try {
        socket.sendMedia(frame.slice());
        this.lastSendMs = performance.now();
        return;
      } catch (err) {
        this.logger.debug({ err: describeError(err) }, 'deepgram socket refused audio; holding it');
      }
    }
    this.pending.push({ frame: frame.slice(), atMs });
    if (this.pending.length > this.tuning.maxPendingFrames) {
      this.pending.shift();
      this.droppedFrames++;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    this.pending.length = 0;
    const socket = this.socket;
    this.socket = undefined;
    if (socket !== undefined) {
      try {
        if (this.open) socket.sendCloseStream({ type: 'CloseStream' });
      } catch (err) {
        this.logger.debug({ err: describeError(err) }, 'deepgram CloseStream not sent');
      }
      this.open = false;
      socket.close();
    }
    this.abort.abort(); // a connection still opening stops here (after CloseStream: aborting closes the socket at once)
  }

  private connect(): void {
    const generation = ++this.generation;
    this.open = false;
    this.opening(generation).catch((err: unknown) => this.lost(generation, err));
  }

  private async opening(generation: number): Promise<void> {
    const o = this.options;
    const socket = await this.client.listen.v1.connect({
      model: o.model,
      encoding: 'linear16',
      sample_rate: 24_000,
      channels: 1,
      interim_results: 'true',
      endpointing: o.endpointingMs,
      utterance_end_ms: o.utteranceEndMs,
      smart_format: o.smartFormat ? 'true' : 'false',
      vad_events: 'true',
      ...(o.language === undefined ? {} : { language: o.language }),
      ...(o.keyterms.length === 0 ? {} : { keyterm: o.keyterms }),
      reconnectAttempts: 0,
      connectionTimeoutInSeconds: this.tuning.connectTimeoutS,
      abortSignal: this.abort.signal,
    });
    if (this.closed || generation !== this.generation) {
      socket.close();
      return;
    }
    this.socket = socket;
    socket.on('message', (data: unknown) => this.onMessage(generation, data));
    socket.on('close', (event: { code: number }) => this.lost(generation, new Error(`socket closed (${event.code})`)));
    socket.on('error', (error: Error) => this.logger.debug({ err: describeError(error) }, 'deepgram socket error'));
    socket.connect();
    await socket.waitForOpen();
    if (this.closed || generation !== this.generation) return;
    this.open = true;
    const held = this.pending.splice(0);
    this.originMs = held[0]?.atMs ?? this.positionMs;
    for (const { frame } of held) socket.sendMedia(frame);
    this.lastSendMs = performance.now();
    this.logger.debug({ heldFrames: held.length, reconnects: this.reconnects }, 'deepgram listen socket open');
  }

  /** The connection of `generation` failed or dropped: reopen once, or give up. */
  private lost(generation: number, err: unknown): void {
    if (this.closed || generation !== this.generation) return;
    this.generation++; // the old socket's late events (its close, below) are ignored from here
    const old = this.socket;
    this.socket = undefined;
    this.open = false;
    old?.close();
    const now = performance.now();
    const reason = describeError(err).message;
    if (this.lastReconnectMs === undefined || now - this.lastReconnectMs > this.tuning.reconnectWindowMs) {
      this.lastReconnectMs = now;
      this.reconnects++;
      this.logger.warn({ reason }, 'deepgram listen socket lost; reconnecting once');
      this.connect();
      return;
    }
    this.closed = true;
    clearInterval(this.keepAlive);
    this.abort.abort();
    this.pending.length = 0;
    this.events.failed(new PipelineError(PipelineErrorCode.SttUnavailable, `deepgram listen socket lost again after a reconnect: ${reason}`, { cause: err }));
  }

  private onMessage(generation: number, data: unknown): void {
    if (this.closed || generation !== this.generation) return;
    try {
      this.dispatch(parseListenMessage(data));
    } catch (err) {
      // A bug in a handler must not reach the SDK (it would only print it); it is logged with the call's context.
      this.logger.error({ err: describeError(err) }, 'speech-to-text event handler failed');
    }
  }

  private dispatch(m: ListenMessage): void {
    switch (m.type) {
      case 'Results':
        this.events.transcript({ text: m.transcript, words: m.words, isFinal: m.isFinal, speechFinal: m.speechFinal, endMs: this.position(m.endS) });
        return;
      case 'UtteranceEnd':
        this.events.utteranceEnd(this.position(m.lastWordEndS));
        return;
      case 'SpeechStarted':
        this.events.speechStarted(this.position(m.timestampS));
        return;
      case 'Metadata':
        this.logger.debug({ requestId: m.requestId }, 'deepgram metadata');
        return;
      case 'unknown':
        this.logger.debug({ kind: m.kind }, 'deepgram message ignored');
        return;
    }
  }

  private position(seconds: number): number {
    return this.originMs + Math.round(seconds * 1000);
  }

  private sendKeepAlive(): void {
    if (!this.open || this.socket === undefined) return;
    if (performance.now() - this.lastSendMs < this.tuning.keepAliveMs) return;
    try {
      this.socket.sendKeepAlive({ type: 'KeepAlive' });
      this.lastSendMs = performance.now();
    } catch (err) {
      this.logger.debug({ err: describeError(err) }, 'deepgram KeepAlive not sent');
    }
  }
}
