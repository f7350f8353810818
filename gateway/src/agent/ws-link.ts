/**
 * An external agent over the Patchbay WebSocket protocol v1: the gateway dials the agent's URL for each call.
 * Caller audio goes out as one binary 20 ms frame per message, through a bounded queue (a slow agent loses the
 * oldest audio and is told); agent audio comes in as binary PCM16 of any length; control is JSON text.
 */
import { parseAgentMessage, PROTOCOL_VERSION, ProtocolError, type GatewayMessage, type StartMessage, type StopReasonValue } from '@patchbay/agents';
import type { Logger } from 'pino';
import { endianness } from 'node:os';
import type { SecureContext } from 'node:tls';
import WebSocket from 'ws';
import { closeReason, type AgentLink, type AgentLinkStats, type AgentSink } from './agent-link.js';
import { openAgentSocket } from './agent-socket.js';
import { UplinkQueue } from './uplink-queue.js';

export interface WebSocketAgentOptions {
  url: string;
  start: StartMessage;
  /** Per-call token for `X-Patchbay-Token`, when a secret is configured. */
  token?: string;
  connectTimeoutMs: number;
  /** Caller audio queued at most before the oldest is dropped. */
  maxUplinkMs: number;
  logger: Logger;
  /** `wss://`: the context from `agents.tls` (agent-tls.ts); absent: Node's CAs. */
  secureContext?: SecureContext | undefined;
}

/** Bytes the socket may hold unsent before we queue frames ourselves (≈ 160 ms of audio). */
const SOCKET_HIGH_WATER_BYTES = 8 * 960;
/** Largest message we accept from an agent (≈ 170 s of audio in one message). */
const MAX_PAYLOAD_BYTES = 8 * 1024 * 1024;
const LITTLE_ENDIAN_HOST = endianness() === 'LE';
/** `ws.send` options of every audio frame (ws copies them; one object, not one per frame). */
const BINARY = { binary: true } as const;

export async function connectWebSocketAgent(options: WebSocketAgentOptions, sink: AgentSink): Promise<WebSocketLink> {
  const headers: Record<string, string> = { 'X-Patchbay-Call-Id': options.start.callId, 'X-Patchbay-Protocol': String(PROTOCOL_VERSION) };
  if (options.token) headers['X-Patchbay-Token'] = options.token;
  const socketOptions = { headers, handshakeTimeoutMs: options.connectTimeoutMs, maxPayloadBytes: MAX_PAYLOAD_BYTES, secureContext: options.secureContext };
  // The link is made after the handshake: the protocol's first message is the gateway's `start`, which it sends.
  const ws = await openAgentSocket(options.url, socketOptions, (socket) => socket);
  return new WebSocketLink(ws, options, sink);
}

export class WebSocketLink implements AgentLink {
  readonly kind = 'websocket';
  readonly stats: AgentLinkStats = { uplinkDroppedFrames: 0, badMessages: 0 };
  private readonly pending: UplinkQueue<Int16Array>;
  private carry: number | undefined;
  private closing = false;
  /** The queue's drain callbacks, made once (not two closures per frame). */
  private readonly socketHasRoom = (): boolean => this.ws.bufferedAmount < SOCKET_HIGH_WATER_BYTES;
  private readonly sendFrame = (frame: Int16Array): void => {
    // The wire is little-endian; so is every host we run on (x64, arm64), checked once at load. ws masks the frame
    // into its own buffer (the gateway is the client: RFC 6455 masks every frame it sends), never into ours.
    this.ws.send(LITTLE_ENDIAN_HOST ? Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength) : toLittleEndian(frame), BINARY);
  };

  constructor(
    private readonly ws: WebSocket,
    options: WebSocketAgentOptions,
    private readonly sink: AgentSink,
  ) {
    this.pending = new UplinkQueue(options.maxUplinkMs);
    const log = options.logger;
    ws.on('message', (data, isBinary) => this.receive(data, isBinary));
    ws.on('error', (err) => log.warn({ err }, 'agent socket error'));
    ws.on('close', (code, reason) => {
      if (this.closing) return;
      this.closing = true;
      log.info({ code, reason: reason.toString('utf8').slice(0, 120) }, 'agent closed the connection');
      sink.onClose(closeReason(code));
    });
    this.sendText(options.start);
  }

  get queuedFrames(): number {
    return this.pending.length;
  }

  sendAudio(frame: Int16Array): void {
    if (this.closing) return;
    if (this.pending.push(frame)) this.stats.uplinkDroppedFrames++;
    this.flush();
  }

  send(msg: GatewayMessage): void {
    if (!this.closing) this.sendText(msg);
  }

  close(reason: StopReasonValue): void {
    if (this.closing) return;
    this.closing = true;
    this.sendText({ type: 'stop', reason });
    this.ws.close(1000, reason.slice(0, 120));
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }

  private flush(): void {
    this.pending.drain(this.socketHasRoom, this.sendFrame);
    if (!this.pending.hasUnreportedDrops) return;
    const droppedMs = this.pending.takeDropReport(performance.now());
    if (droppedMs !== undefined) {
      this.sendText({ type: 'error', code: 'uplink_overflow', message: 'agent is not reading fast enough; oldest caller audio dropped', droppedMs });
    }
  }

  private receive(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.closing) return;
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (isBinary) {
      const pcm = this.toPcm(bytes);
      if (pcm.length > 0) this.sink.onAudio(pcm);
      return;
    }
    try {
      this.sink.onMessage(parseAgentMessage(bytes.toString('utf8')));
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.stats.badMessages++;
      this.sendText({ type: 'error', code: 'bad_message', message: err.message });
    }
  }

  /** Little-endian PCM16, tolerating a message that splits a sample (the odd byte waits for the next one). */
  private toPcm(bytes: Buffer): Int16Array {
    let src = bytes;
    if (this.carry !== undefined) {
      src = Buffer.concat([Buffer.of(this.carry), bytes]);
      this.carry = undefined;
    }
    const even = src.length & ~1;
    if (even !== src.length) this.carry = src[src.length - 1];
    const pcm = new Int16Array(even / 2);
    if (LITTLE_ENDIAN_HOST) new Uint8Array(pcm.buffer).set(src.subarray(0, even));
    else for (let i = 0; i < pcm.length; i++) pcm[i] = src.readInt16LE(2 * i);
    return pcm;
  }

  private sendText(msg: GatewayMessage): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }
}

function toLittleEndian(frame: Int16Array): Buffer {
  const out = Buffer.allocUnsafe(frame.length * 2);
  for (let i = 0; i < frame.length; i++) out.writeInt16LE(frame[i] ?? 0, 2 * i);
  return out;
}
