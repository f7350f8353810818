/**
 * An agent URL spoken to in Twilio Media Streams' messages (`protocol: twilio`), so bots written for Twilio
 * (Pipecat's `TwilioFrameSerializer`, the OpenAI Realtime + Twilio demos) take Patchbay calls unchanged.
 *
 * The gateway plays Twilio's part: `connected`, `start`, then one µ-law `media` message per 20 ms of caller audio
 * (through a bounded queue, like the native link), `dtmf`, mark echoes and `stop`. From the bot it reads `media`,
 * `mark` and `clear`. Gateway events Twilio has no word for are dropped and counted. The mapping, and what
 * differs from Twilio, is `docs/protocol.md` § "Twilio Media Streams compatibility".
 */
import type { GatewayMessage, StopReasonValue } from '@patchbay/agents';
import type { Logger } from 'pino';
import WebSocket from 'ws';
import { FRAME_MS } from '../media/audio/frame.js';
import { closeReason, type AgentLink, type AgentLinkStats, type AgentSink } from './agent-link.js';
import { openAgentSocket } from './agent-socket.js';
import { TwilioAudio } from './twilio/audio.js';
import { TwilioMessageError, TwilioMessageErrorCode, type BotMessage } from './twilio/messages.js';
import { TwilioSerializer } from './twilio/serializer.js';
import { twilioSids } from './twilio/sids.js';
import { UplinkQueue } from './uplink-queue.js';
import type { WebSocketAgentOptions } from './ws-link.js';

export interface TwilioLinkStats extends AgentLinkStats {
  /** Gateway events with no Twilio message (speech_started/stopped, cleared, error), dropped. */
  untranslated: number;
  /** Bot audio dropped after an `interrupted`, until the bot's `clear` or the end of the caller's speech (ms). */
  staleDroppedMs: number;
}

/** Bytes the socket may hold unsent before we queue chunks ourselves (≈ 160 ms of `media` messages). */
const SOCKET_HIGH_WATER_BYTES = 8 * 400;
/** Largest message we accept from a bot (≈ 12 min of base64 µ-law in one message). */
const MAX_PAYLOAD_BYTES = 8 * 1024 * 1024;
/** Marks placed and not yet echoed; a bot past this has lost track of them, and further marks are refused. */
const MAX_PENDING_MARKS = 4096;
/** The longest a bot is kept silent after an `interrupted` without its `clear` or the caller's `speech_stopped`. */
const MAX_STALE_MS = 30_000;
const BOT_SAMPLES_PER_MS = 8;

export async function connectTwilioAgent(options: WebSocketAgentOptions, sink: AgentSink): Promise<AgentLink> {
  // Twilio signs its upgrade with X-Twilio-Signature (HMAC of the URL with the account's auth token); there is no
  // Twilio account here, so the call is authenticated the Patchbay way (a bot for Twilio ignores these headers).
  const headers: Record<string, string> = { 'X-Patchbay-Call-Id': options.start.callId };
  if (options.token) headers['X-Patchbay-Token'] = options.token;
  const socketOptions = { headers, handshakeTimeoutMs: options.connectTimeoutMs, maxPayloadBytes: MAX_PAYLOAD_BYTES, secureContext: options.secureContext };
  // The link is made in the `open` handler itself: a bot may speak first, in the same TCP segment as its 101.
  return openAgentSocket(options.url, socketOptions, (ws) => new TwilioLink(ws, options, sink));
}

interface Chunk {
  /** Twilio's `media.chunk`: 1 for the first 20 ms of the stream. */
  index: number;
  payload: Uint8Array;
}

export class TwilioLink implements AgentLink {
  readonly kind = 'websocket';
  readonly stats: TwilioLinkStats = { uplinkDroppedFrames: 0, badMessages: 0, untranslated: 0, staleDroppedMs: 0 };
  private readonly serializer: TwilioSerializer;
  private readonly audio = new TwilioAudio();
  private readonly log: Logger;
  private readonly pending: UplinkQueue<Chunk>;
  private chunks = 0;
  /** Marks forwarded to the gateway and not yet echoed, by name (bots reuse names: one echo per mark). */
  private readonly marks = new Map<string, number>();
  private markCount = 0;
  /** Set by `interrupted`: when the stale turn began. The bot's audio is dropped until it ends (`beginStale`). */
  private staleSinceMs: number | undefined;
  private closing = false;

  constructor(
    private readonly ws: WebSocket,
    options: WebSocketAgentOptions,
    private readonly sink: AgentSink,
  ) {
    this.log = options.logger;
    this.pending = new UplinkQueue(options.maxUplinkMs);
    this.serializer = new TwilioSerializer(twilioSids(options.start));
    ws.on('message', (data, isBinary) => this.receive(data, isBinary));
    ws.on('error', (err) => this.log.warn({ err }, 'agent socket error'));
    ws.on('close', (code, reason) => {
      if (this.closing) return;
      this.closing = true;
      this.audio.close();
      this.log.info({ code, reason: reason.toString('utf8').slice(0, 120) }, 'agent closed the connection');
      sink.onClose(closeReason(code));
    });
    this.sendText(this.serializer.connected());
    this.sendText(this.serializer.start(options.start.parameters));
    this.log.debug({ streamSid: this.serializer.sids.streamSid, callSid: this.serializer.sids.callSid }, 'twilio media stream started');
  }

  /** The stream's Twilio ids (`start.streamSid`, `start.callSid`), for logs. */
  get sids(): TwilioSerializer['sids'] {
    return this.serializer.sids;
  }

  /** Twilio chunks are 20 ms: one per caller frame. */
  get queuedFrames(): number {
    return this.pending.length;
  }

  sendAudio(frame: Int16Array): void {
    if (this.closing) return;
    for (const payload of this.audio.encode(frame)) {
      if (this.pending.push({ index: ++this.chunks, payload })) this.stats.uplinkDroppedFrames++;
    }
    this.flush();
  }

  send(msg: GatewayMessage): void {
    if (this.closing) return;
    switch (msg.type) {
      case 'mark':
        // Twilio echoes a mark when its audio has played and also when it was cleared: the same message.
        this.echoMark(msg.name);
        return;
      case 'dtmf':
        this.sendText(this.serializer.dtmf(msg.digit));
        return;
      case 'interrupted':
        // Gateway barge-in. Its pending marks came back `cleared` just before (echoed then); echo any not yet.
        for (const name of msg.marks) this.echoMark(name);
        this.beginStale();
        return;
      case 'speech_stopped':
        // The caller's turn is over: what the bot sends from now on is its answer, whether or not it cleared.
        if (this.staleSinceMs !== undefined) this.endStale('speech_stopped');
        this.untranslated(msg);
        return;
      case 'stop':
        this.close(msg.reason);
        return;
      case 'start':
      case 'cleared':
      case 'speech_started':
      case 'error':
      case 'consult': // Twilio has no warm transfer: a bot never starts one
      case 'supervisor_audio': // nor a supervisor stream of its own
        this.untranslated(msg);
        return;
      default:
        this.untranslated(msg satisfies never);
    }
  }

  close(reason: StopReasonValue): void {
    if (this.closing) return;
    this.closing = true;
    this.audio.close();
    this.sendText(this.serializer.stop());
    this.ws.close(1000, reason.slice(0, 120));
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }

  // ---- caller → bot -------------------------------------------------------------------------------------------

  private flush(): void {
    this.pending.drain(
      () => this.ws.bufferedAmount < SOCKET_HIGH_WATER_BYTES,
      (chunk) => this.sendText(this.serializer.media(chunk.index, (chunk.index - 1) * FRAME_MS, chunk.payload)),
    );
    const droppedMs = this.pending.takeDropReport(performance.now());
    if (droppedMs !== undefined) {
      // Twilio has no message for this: the bot sees a jump in `chunk` and `timestamp`; we tell the logs.
      this.log.warn({ droppedMs, droppedTotal: this.stats.uplinkDroppedFrames }, 'agent is not reading fast enough; oldest caller audio dropped');
    }
  }

  // ---- bot → caller -------------------------------------------------------------------------------------------

  private receive(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.closing) return;
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    let msg: BotMessage;
    try {
      if (isBinary) throw new TwilioMessageError(TwilioMessageErrorCode.Binary, `binary frame of ${bytes.length} bytes (Media Streams is JSON text)`);
      msg = this.serializer.parse(bytes.toString('utf8'));
    } catch (err) {
      if (!(err instanceof TwilioMessageError)) throw err;
      // Twilio has no error message to answer with: count it, tell the debug log, and carry on.
      this.stats.badMessages++;
      this.log.debug({ code: err.code, badMessages: this.stats.badMessages }, `bad message from agent: ${err.message}`);
      return;
    }
    switch (msg.event) {
      case 'media':
        this.onMedia(msg.payload);
        return;
      case 'mark':
        this.onMark(msg.name);
        return;
      case 'clear':
        this.staleSinceMs = undefined; // the bot has stopped the interrupted turn itself
        this.audio.resetDown();
        this.sink.onMessage({ type: 'clear' });
        return;
      default:
        msg satisfies never;
    }
  }

  private onMedia(payload: Uint8Array): void {
    if (this.staleSinceMs !== undefined) {
      if (performance.now() - this.staleSinceMs < MAX_STALE_MS) {
        this.stats.staleDroppedMs += payload.length / BOT_SAMPLES_PER_MS;
        return;
      }
      this.endStale('timeout');
    }
    const pcm = this.audio.decode(payload);
    if (pcm.length > 0) this.sink.onAudio(pcm);
  }

  private onMark(name: string): void {
    if (this.staleSinceMs !== undefined) {
      // The turn this mark closes was interrupted: its audio is being dropped, so it is cleared, now.
      this.sendText(this.serializer.mark(name));
      return;
    }
    if (this.markCount >= MAX_PENDING_MARKS) {
      this.stats.badMessages++;
      this.log.debug({ pendingMarks: this.markCount }, `mark refused: ${MAX_PENDING_MARKS} marks already pending`);
      return;
    }
    // Counted before the gateway sees it: a mark with nothing left to play is answered at once, synchronously.
    this.marks.set(name, (this.marks.get(name) ?? 0) + 1);
    this.markCount++;
    this.sink.onMessage({ type: 'mark', name });
  }

  private echoMark(name: string): void {
    const count = this.marks.get(name) ?? 0;
    if (count === 0) return; // already echoed (an `interrupted` repeats the marks it cleared)
    if (count === 1) this.marks.delete(name);
    else this.marks.set(name, count - 1);
    this.markCount--;
    this.sendText(this.serializer.mark(name));
  }

  // ---- gateway barge-in ---------------------------------------------------------------------------------------

  /**
   * After `interrupted`, the bot does not know it was cut off: Twilio has no such event. A bot with its own speech
   * detection sends `clear` when it hears the caller; until then it may still be streaming the interrupted
   * answer. So its audio (and the marks that close it) is dropped here until its `clear`, or until the caller
   * stops speaking (`speech_stopped`); then the link sends `clear` itself so the bot's next answer plays.
   */
  private beginStale(): void {
    this.staleSinceMs = performance.now();
    this.audio.resetDown();
  }

  private endStale(why: 'speech_stopped' | 'timeout'): void {
    this.staleSinceMs = undefined;
    this.log.debug({ why, staleDroppedMs: Math.round(this.stats.staleDroppedMs) }, 'bot audio plays again after the interruption');
    this.audio.resetDown();
    this.sink.onMessage({ type: 'clear' });
  }

  private untranslated(msg: GatewayMessage): void {
    this.stats.untranslated++;
    this.log.debug({ type: msg.type }, 'gateway event has no Twilio message; dropped');
  }

  private sendText(text: string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
  }
}

