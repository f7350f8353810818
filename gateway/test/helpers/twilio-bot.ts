/**
 * A bot written only from Twilio's documentation of Media Streams
 * (https://www.twilio.com/docs/voice/media-streams/websocket-messages), knowing nothing of Patchbay: a plain `ws`
 * server on 127.0.0.1 that reads `connected`, `start`, `media`, `dtmf`, `mark`, `stop` and answers the way bots for
 * Twilio do. At `start` it plays a greeting (base64 µ-law `media` messages, then a `mark`); it watches the caller's
 * energy in the inbound µ-law, sends `clear` when the caller starts speaking (barge-in) and, once the caller has
 * been quiet a while, replies with more `media` and a `mark`. Everything it receives and sends is recorded with
 * `performance.now()` times, so a test can line it up with what a SIP caller in the same process heard.
 */
import type { WebSocket } from 'ws';
import { rmsDbfs } from './audio.js';
import { ulawDecodeBytes, ulawEncode } from './g711.js';
import { waitFor } from './wait-for.js';
import { startWsAgentServer, type WsAgentServer } from './ws-agent-server.js';

/** How the bot behaves on its next call; change `TwilioBot.script` before placing the call. */
export interface TwilioBotScript {
  /** 8 kHz audio played at `start`, all at once (Twilio buffers it), then `mark{greeting}`. */
  readonly greeting?: Int16Array;
  /**
   * Optional second part of the greeting, streamed in real time (one 20 ms message per 20 ms, starting when the
   * first part has played), as bots that pace their output do; then `mark{greeting-end}`.
   */
  readonly pacedGreeting?: Int16Array;
  /** 8 kHz audio sent when the caller has been quiet `quietMs` after speaking, then `mark{reply}`. */
  readonly reply?: Int16Array;
  /** Send `clear` when the caller starts speaking (default true). A bot without barge-in does not. */
  readonly clearOnSpeech?: boolean;
  /** Caller energy that counts as speech (dBFS RMS per 20 ms chunk; default −35) … */
  readonly speechDbfs?: number;
  /** … for this long before the bot believes it (default 40 ms) … */
  readonly onsetMs?: number;
  /** … and the caller's turn is over after this much quiet (default 600 ms). */
  readonly quietMs?: number;
  /** Bytes of µ-law per `media` message the bot sends (default 160 = 20 ms; Twilio takes any size). */
  readonly chunkBytes?: number;
}

export interface Recorded {
  readonly atMs: number;
  readonly msg: Record<string, unknown>;
}

export interface InboundChunk {
  readonly atMs: number;
  readonly sequenceNumber: unknown;
  readonly chunk: unknown;
  readonly timestamp: unknown;
  readonly track: unknown;
  readonly pcm: Int16Array;
}

/** One call (one WebSocket) as the bot saw it. */
export class TwilioBotCall {
  /** Every message from the gateway, in order (media included). */
  readonly received: Recorded[] = [];
  /** The caller's audio, decoded. */
  readonly inbound: InboundChunk[] = [];
  /** Every message the bot sent (media payloads left out). */
  readonly sent: Recorded[] = [];
  /** When the bot decided the caller started and stopped speaking. */
  readonly speechStarts: number[] = [];
  readonly speechEnds: number[] = [];
  streamSid = '';
  closedAtMs = 0;
  private speaking = false;
  private loudMs = 0;
  private quietMs = 0;
  private pacing: NodeJS.Timeout | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly script: TwilioBotScript,
  ) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const msg = JSON.parse(String(data)) as Record<string, unknown>;
      this.received.push({ atMs: performance.now(), msg });
      this.handle(msg);
    });
    ws.on('close', () => {
      this.closedAtMs = performance.now();
      clearTimeout(this.pacing);
    });
  }

  /** Messages from the gateway with this `event`. */
  events(event: string): Recorded[] {
    return this.received.filter((r) => r.msg['event'] === event);
  }

  /** Marks echoed back, by name. */
  marks(name: string): Recorded[] {
    return this.events('mark').filter((r) => (r.msg['mark'] as { name?: unknown } | undefined)?.name === name);
  }

  /** When the bot sent its message with this event (and mark name). */
  sentAt(event: string, markName?: string): number | undefined {
    return this.sent.find((r) => r.msg['event'] === event && (markName === undefined || (r.msg['mark'] as { name?: unknown }).name === markName))?.atMs;
  }

  describe(): string {
    const t0 = this.received[0]?.atMs ?? 0;
    const line = (dir: string, r: Recorded): string => `${dir} +${(r.atMs - t0).toFixed(0)} ${JSON.stringify(r.msg)}`;
    const got = this.received.filter((r) => r.msg['event'] !== 'media').map((r) => line('<-', r));
    const sent = this.sent.map((r) => line('->', r));
    return [...got, ...sent, `inbound media: ${this.inbound.length}`].join('\n');
  }

  /** Send µ-law `media` messages for `pcm8k`, `chunkBytes` at a time. */
  sendAudio(pcm8k: Int16Array): void {
    const size = this.script.chunkBytes ?? 160;
    for (let at = 0; at < pcm8k.length; at += size) this.sendMedia(pcm8k.subarray(at, at + size));
  }

  mark(name: string): void {
    this.send({ event: 'mark', streamSid: this.streamSid, mark: { name } });
  }

  clear(): void {
    clearTimeout(this.pacing);
    this.send({ event: 'clear', streamSid: this.streamSid });
  }

  close(): void {
    clearTimeout(this.pacing);
    this.ws.close();
  }

  private sendMedia(pcm8k: Int16Array): void {
    const payload = Buffer.from(Uint8Array.from(pcm8k, ulawEncode)).toString('base64');
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify({ event: 'media', streamSid: this.streamSid, media: { payload } }));
  }

  private send(msg: Record<string, unknown>): void {
    this.sent.push({ atMs: performance.now(), msg });
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(msg));
  }

  private handle(msg: Record<string, unknown>): void {
    switch (msg['event']) {
      case 'start': {
        const start = msg['start'] as { streamSid?: unknown } | undefined;
        this.streamSid = String(start?.streamSid ?? msg['streamSid'] ?? '');
        if (this.script.greeting) {
          this.sendAudio(this.script.greeting);
          this.mark('greeting');
        }
        if (this.script.pacedGreeting) this.pace(this.script.pacedGreeting, ((this.script.greeting?.length ?? 0) / 8000) * 1000);
        return;
      }
      case 'media': {
        const media = msg['media'] as Record<string, unknown>;
        const pcm = ulawDecodeBytes(Buffer.from(String(media['payload']), 'base64'));
        this.inbound.push({ atMs: performance.now(), sequenceNumber: msg['sequenceNumber'], chunk: media['chunk'], timestamp: media['timestamp'], track: media['track'], pcm });
        this.listen(pcm);
        return;
      }
      default:
        return; // connected, dtmf, mark, stop: recorded above
    }
  }

  /** Real-time streaming of `pcm8k`, 20 ms per 20 ms on an absolute schedule, from `delayMs` on. */
  private pace(pcm8k: Int16Array, delayMs: number): void {
    const t0 = performance.now() + delayMs;
    let index = 0;
    const tick = (): void => {
      const chunk = pcm8k.subarray(index * 160, (index + 1) * 160);
      if (chunk.length === 0) {
        this.mark('greeting-end');
        return;
      }
      this.sendMedia(chunk);
      index++;
      this.pacing = setTimeout(tick, Math.max(0, t0 + index * 20 - performance.now()));
    };
    this.pacing = setTimeout(tick, delayMs);
  }

  /** Energy-based turn taking on the caller's audio. */
  private listen(pcm: Int16Array): void {
    const ms = (pcm.length / 8000) * 1000;
    const loud = rmsDbfs(pcm) > (this.script.speechDbfs ?? -35);
    if (!this.speaking) {
      this.loudMs = loud ? this.loudMs + ms : 0;
      if (this.loudMs < (this.script.onsetMs ?? 40)) return;
      this.speaking = true;
      this.quietMs = 0;
      this.speechStarts.push(performance.now());
      if (this.script.clearOnSpeech ?? true) this.clear();
      return;
    }
    this.quietMs = loud ? 0 : this.quietMs + ms;
    if (this.quietMs < (this.script.quietMs ?? 600)) return;
    this.speaking = false;
    this.loudMs = 0;
    this.speechEnds.push(performance.now());
    if (this.script.reply) {
      clearTimeout(this.pacing); // whatever was still streaming is over: the bot answers now
      this.sendAudio(this.script.reply);
      this.mark('reply');
    }
  }
}

/** The bot's server: one `TwilioBotCall` per connection, scripted by `script` at connection time. */
export class TwilioBot {
  readonly calls: TwilioBotCall[] = [];
  script: TwilioBotScript = {};

  private constructor(private readonly server: WsAgentServer) {}

  /** `ws://127.0.0.1:PORT/path`: the URL to give the gateway. */
  get url(): string {
    return this.server.url;
  }

  static async start(path = '/media'): Promise<TwilioBot> {
    let bot: TwilioBot | undefined;
    // No call can connect before the URL is known, so `bot` is set by then.
    const server = await startWsAgentServer((ws) => bot?.calls.push(new TwilioBotCall(ws, bot.script)), { path });
    bot = new TwilioBot(server);
    return bot;
  }

  /** The `index`-th call, once its socket is open (bounded wait). */
  async call(index: number, timeoutMs = 5_000): Promise<TwilioBotCall> {
    await waitFor(() => this.calls[index] !== undefined, timeoutMs, () => `no call ${index}: the bot has ${this.calls.length}`);
    const call = this.calls[index];
    if (call === undefined) throw new Error(`no call ${index}`);
    return call;
  }

  async close(): Promise<void> {
    for (const call of this.calls) call.close();
    await this.server.close();
  }
}
