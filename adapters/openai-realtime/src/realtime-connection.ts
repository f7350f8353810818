/**
 * One call's Realtime WebSocket, through the official SDK's client (`OpenAIRealtimeWS`, which uses `ws`): connects
 * with the API key and base URL, hands every server event over, and keeps the caller's audio in a bounded queue
 * until the socket is open (the oldest dropped and counted when it is full).
 *
 * The SDK always dials `wss://` (it swaps the base URL's scheme). A base URL given as `http://` or `ws://` (a local
 * proxy, a test server) means no TLS, so for those the socket is a plain TCP connection to the URL's host and port.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import type { RealtimeClientEvent, RealtimeServerEvent } from 'openai/resources/realtime/realtime';
import type { ClientOptions } from 'ws';
import { pcmToBase64 } from './pcm-base64.js';

export const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** Caller audio held while connecting: 2 s of 20 ms frames. */
export const MAX_QUEUED_FRAMES = 100;

export interface RealtimeConnectionOptions {
  readonly apiKey: string;
  readonly baseUrl?: string | undefined;
  readonly model: string;
  readonly connectTimeoutMs: number;
}

export interface RealtimeConnectionHandlers {
  /** The socket is open; queued audio is sent right after this returns (so configure the session here). */
  onOpen(): void;
  /** Every server event, `error` events included. */
  onEvent(event: RealtimeServerEvent): void;
  /** A transport failure (connect refused, upgrade refused, TLS, a frame that is not JSON); `close` follows. */
  onTransportError(err: Error): void;
  /** The socket closed (not reported after `close()`). */
  onClose(code: number, reason: string): void;
}

const OPEN = 1;
const CONNECTING = 0;

export class RealtimeConnection {
  /** Caller frames dropped from the pre-open queue because it was full. */
  droppedFrames = 0;
  private readonly rt: OpenAIRealtimeWS;
  private readonly queue: string[] = [];
  private closed = false;

  constructor(options: RealtimeConnectionOptions, private readonly handlers: RealtimeConnectionHandlers) {
    const baseURL = options.baseUrl ?? DEFAULT_BASE_URL;
    const socketOptions: ClientOptions = { handshakeTimeout: options.connectTimeoutMs, maxPayload: 16 * 1024 * 1024 };
    const plain = plainEndpoint(baseURL);
    if (plain !== undefined) socketOptions.createConnection = (_options: unknown): Socket => netConnect(plain);
    // A plain { apiKey, baseURL } (rather than `new OpenAI()`): the SDK client would read OPENAI_* variables from the
    // process environment, and an adapter reads nothing but what its options name.
    this.rt = new OpenAIRealtimeWS({ model: options.model, options: socketOptions }, { apiKey: options.apiKey, baseURL });
    this.rt.on('event', (event) => {
      if (!this.closed) handlers.onEvent(event);
    });
    // API `error` events arrive through 'event' as well; here only what has no API error body (transport, parsing).
    this.rt.on('error', (err) => {
      if (!this.closed && err.error === undefined) handlers.onTransportError(err);
    });
    this.rt.socket.on('open', () => this.opened());
    this.rt.socket.on('close', (code: number, reason: Buffer) => {
      if (this.closed) return;
      this.closed = true;
      this.queue.length = 0;
      handlers.onClose(code, reason.toString('utf8'));
    });
  }

  get isOpen(): boolean {
    return !this.closed && this.rt.socket.readyState === OPEN;
  }

  /** The URL dialled (for logs: it holds no secret). */
  get url(): string {
    return this.rt.url.toString();
  }

  /** Sends a client event; false (nothing sent) while not open. */
  send(event: RealtimeClientEvent): boolean {
    if (!this.isOpen) return false;
    this.rt.send(event);
    return true;
  }

  /** Appends caller audio to the input buffer, or queues it (bounded) until the socket opens. */
  appendAudio(frame: Int16Array): void {
    if (this.closed) return;
    const audio = pcmToBase64(frame);
    if (this.isOpen) {
      this.rt.send({ type: 'input_audio_buffer.append', audio });
      return;
    }
    this.queue.push(audio);
    if (this.queue.length > MAX_QUEUED_FRAMES) {
      this.queue.shift();
      this.droppedFrames++;
    }
  }

  /** Closes the socket (normal closure); idempotent, and nothing is reported after it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    if (this.rt.socket.readyState === CONNECTING) this.rt.socket.terminate();
    else this.rt.close({ code: 1000, reason: 'call ended' });
  }

  private opened(): void {
    if (this.closed) return;
    this.handlers.onOpen();
    for (const audio of this.queue.splice(0)) {
      if (!this.isOpen) return;
      this.rt.send({ type: 'input_audio_buffer.append', audio });
    }
  }
}

/** Host and port to dial without TLS when the base URL says `http://` or `ws://`; undefined otherwise. */
function plainEndpoint(baseURL: string): { host: string; port: number } | undefined {
  const url = new URL(baseURL);
  if (url.protocol !== 'http:' && url.protocol !== 'ws:') return undefined;
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { host, port: url.port === '' ? 80 : Number(url.port) };
}
