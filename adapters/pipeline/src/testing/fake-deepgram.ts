/**
 * A fake Deepgram API on 127.0.0.1 speaking the documented wire protocol, for tests with the real `@deepgram/sdk`
 * pointed at `url`:
 *
 * - `GET /v1/listen?model=…&encoding=linear16&sample_rate=24000&…` WebSocket upgrade with `Authorization: Token <key>`.
 *   It cannot recognise speech: it finds utterances by energy (a 20 ms frame louder than `speechDbfs` is speech) and
 *   answers each with the next scripted transcript: `SpeechStarted` at the onset (`vad_events`), interim `Results`
 *   revealing a word per `interimEveryMs` of speech, a final `Results` (`is_final`, `speech_final`) once `endpointing`
 *   ms of silence follow, and `UtteranceEnd` after `utterance_end_ms`. Text messages: KeepAlive, Finalize,
 *   CloseStream (answered with Metadata and a normal close).
 * - `POST /v1/speak?model=…&encoding=linear16&sample_rate=24000&container=none` (Aura): raw PCM16 LE, a tone of
 *   `msPerChar` ms per character of `text`, streamed.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { readBody, record, sendJson, streamSpeech, type RecordedRequest, type SpeechBehaviour } from './http-util.js';
import { rmsDbfs } from './tone.js';

export interface FakeDeepgramOptions {
  readonly apiKey?: string;
  /** The transcript of the `index`-th utterance heard (over all connections, 0-based); '' or undefined: none. */
  readonly transcripts?: readonly string[] | ((index: number) => string | undefined);
  /** Default −45 dBFS. */
  readonly speechDbfs?: number;
  /** Default 200 ms. */
  readonly interimEveryMs?: number;
  /** Shorter speech is noise: its final result is empty and uses no transcript (default 60 ms). */
  readonly minSpeechMs?: number;
  readonly speak?: SpeechBehaviour;
}

/** What one live connection saw and sent, with `performance.now()` times. */
export interface ListenConnection {
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly openedMs: number;
  audioBytes: number;
  keepAlives: number;
  closeStream: boolean;
  /** Closed by the client (not by `drop()`), and when. */
  closedByClientMs: number | undefined;
  readonly sent: Array<{ readonly atMs: number; readonly message: Record<string, unknown> }>;
}

interface Utterance {
  startMs: number;
  lastVoicedMs: number;
  voicedMs: number;
  interims: number;
}

const FRAME_BYTES = 960;

export class FakeDeepgram {
  readonly listens: ListenConnection[] = [];
  readonly speaks: RecordedRequest[] = [];
  readonly apiKey: string;
  /** Utterances given a transcript so far. */
  utterances = 0;
  /** Refuse the next this many listen upgrades with 503. */
  refuseListens = 0;
  private readonly sockets = new Set<WebSocket>();
  private readonly dropped = new WeakSet<WebSocket>();
  private readonly wss = new WebSocketServer({ noServer: true });

  private constructor(
    private readonly server: Server,
    private readonly options: FakeDeepgramOptions,
  ) {
    this.apiKey = options.apiKey ?? 'dg-test';
  }

  static async start(options: FakeDeepgramOptions = {}): Promise<FakeDeepgram> {
    let fake: FakeDeepgram | undefined;
    const server = createServer((req, res) => {
      if (fake === undefined) return;
      const self = fake;
      void (async () => {
        const body = await readBody(req);
        const rec = record(req, body);
        if (req.headers.authorization !== `Token ${self.apiKey}`) return sendJson(res, 401, { err_code: 'INVALID_AUTH', err_msg: 'Invalid credentials.' });
        if (req.method !== 'POST' || rec.path !== '/v1/speak') return sendJson(res, 404, { err_code: 'NOT_FOUND', err_msg: 'no such route' });
        self.speaks.push(rec);
        const q = rec.query;
        const behaviour = self.options.speak ?? {};
        if (behaviour.status !== undefined) return sendJson(res, behaviour.status, { err_code: 'FAKE', err_msg: 'fake speak failure' });
        if (q.get('encoding') !== 'linear16' || q.get('sample_rate') !== '24000' || q.get('container') !== 'none') {
          return sendJson(res, 400, { err_code: 'UNSUPPORTED', err_msg: 'this fake speaks linear16 at 24000 Hz without a container only' });
        }
        if (typeof body['text'] !== 'string' || q.get('model') === null) return sendJson(res, 400, { err_code: 'INVALID', err_msg: 'text and model are required' });
        streamSpeech(res, rec, body['text'], behaviour);
      })().catch(() => res.destroy());
    });
    fake = new FakeDeepgram(server, options);
    const self = fake;
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => self.upgrade(req, socket, head));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** Base URL for the SDK's REST calls (`http://127.0.0.1:port`). */
  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Base URL for the SDK's sockets (`ws://127.0.0.1:port`). */
  get wsUrl(): string {
    return this.url.replace(/^http/, 'ws');
  }

  /** Every message sent on every listen connection, in order, with its type. */
  sentOfType(type: string): Array<{ readonly atMs: number; readonly message: Record<string, unknown> }> {
    return this.listens.flatMap((l) => l.sent.filter((s) => s.message['type'] === type));
  }

  /** Server-side drop of every open listen socket (abnormal close, as a network failure would look). */
  dropListens(): void {
    for (const ws of this.sockets) {
      this.dropped.add(ws);
      ws.terminate();
    }
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private transcript(index: number): string {
    const t = this.options.transcripts;
    return (typeof t === 'function' ? t(index) : t?.[index]) ?? '';
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const refuse = (status: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== '/v1/listen') return refuse('404 Not Found');
    if (req.headers.authorization !== `Token ${this.apiKey}`) return refuse('401 Unauthorized');
    if (this.refuseListens > 0) {
      this.refuseListens--;
      return refuse('503 Service Unavailable');
    }
    const q = url.searchParams;
    if (q.get('encoding') !== 'linear16' || q.get('sample_rate') !== '24000' || q.get('channels') !== '1') return refuse('400 Bad Request');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.listen(ws, req, q));
  }

  private listen(ws: WebSocket, req: IncomingMessage, q: URLSearchParams): void {
    const conn: ListenConnection = { query: q, headers: req.headers, openedMs: performance.now(), audioBytes: 0, keepAlives: 0, closeStream: false, closedByClientMs: undefined, sent: [] };
    this.listens.push(conn);
    this.sockets.add(ws);
    const requestId = randomUUID();
    const endpointingMs = Number(q.get('endpointing') ?? '10');
    const utteranceEndMs = q.get('utterance_end_ms') === null ? undefined : Number(q.get('utterance_end_ms'));
    const interims = q.get('interim_results') === 'true';
    const vadEvents = q.get('vad_events') === 'true';
    const speechDbfs = this.options.speechDbfs ?? -45;
    const interimEveryMs = this.options.interimEveryMs ?? 200;
    const minSpeechMs = this.options.minSpeechMs ?? 60;
    let pending = Buffer.alloc(0);
    let audioMs = 0;
    let current: Utterance | undefined;
    let awaitingEnd: number | undefined;
    let serverClosing = false;

    const send = (message: Record<string, unknown>): void => {
      if (ws.readyState !== ws.OPEN) return;
      conn.sent.push({ atMs: performance.now(), message });
      ws.send(JSON.stringify(message));
    };
    const results = (u: Utterance, text: string, final: boolean, fromFinalize = false): void => {
      const words = text === '' ? [] : text.split(/\s+/);
      const span = Math.max(1, u.lastVoicedMs - u.startMs);
      const timed = words.map((w, i) => {
        const start = (u.startMs + (span * i) / words.length) / 1000;
        const end = (u.startMs + (span * (i + 1)) / words.length) / 1000;
        return { word: w.toLowerCase().replace(/[^\p{L}\p{N}']/gu, ''), start, end, confidence: 0.99, punctuated_word: w };
      });
      send({
        type: 'Results',
        channel_index: [0, 1],
        duration: span / 1000,
        start: u.startMs / 1000,
        is_final: final,
        speech_final: final && !fromFinalize,
        from_finalize: fromFinalize,
        channel: { alternatives: [{ transcript: text, confidence: 0.99, words: timed }] },
        metadata: { request_id: requestId, model_info: { name: 'fake', version: '0', arch: 'fake' }, model_uuid: 'fake' },
      });
    };
    const finalize = (u: Utterance, fromFinalize: boolean): void => {
      const text = u.voicedMs >= minSpeechMs ? this.transcript(this.utterances++) : '';
      results(u, text, true, fromFinalize);
      current = undefined;
      if (text !== '' && utteranceEndMs !== undefined && interims) awaitingEnd = u.lastVoicedMs;
    };
    const frame = (bytes: Buffer): void => {
      const samples = new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
      const voiced = rmsDbfs(samples) > speechDbfs;
      audioMs += 20;
      if (voiced) {
        awaitingEnd = undefined;
        if (current === undefined) {
          current = { startMs: audioMs - 20, lastVoicedMs: audioMs, voicedMs: 0, interims: 0 };
          if (vadEvents) send({ type: 'SpeechStarted', channel: [0, 1], timestamp: current.startMs / 1000 });
        }
        current.lastVoicedMs = audioMs;
        current.voicedMs += 20;
        if (interims && current.voicedMs >= minSpeechMs && current.voicedMs % interimEveryMs === 0) {
          const words = this.transcript(this.utterances).split(/\s+/).filter((w) => w !== '');
          current.interims++;
          if (words.length > 0) results(current, words.slice(0, Math.min(words.length, current.interims)).join(' '), false);
        }
        return;
      }
      if (current !== undefined && audioMs - current.lastVoicedMs >= endpointingMs) finalize(current, false);
      if (awaitingEnd !== undefined && utteranceEndMs !== undefined && audioMs - awaitingEnd >= utteranceEndMs) {
        send({ type: 'UtteranceEnd', channel: [0, 1], last_word_end: awaitingEnd / 1000 });
        awaitingEnd = undefined;
      }
    };

    ws.on('message', (data: RawData, isBinary: boolean) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (!isBinary) {
        const type = (JSON.parse(buf.toString('utf8')) as { type?: unknown }).type;
        if (type === 'KeepAlive') conn.keepAlives++;
        else if (type === 'Finalize' && current !== undefined) finalize(current, true);
        else if (type === 'CloseStream') {
          conn.closeStream = true;
          if (current !== undefined) finalize(current, false);
          send({ type: 'Metadata', transaction_key: 'deprecated', request_id: requestId, sha256: '', created: new Date(0).toISOString(), duration: audioMs / 1000, channels: 1 });
          serverClosing = true;
          ws.close(1000);
        }
        return;
      }
      conn.audioBytes += buf.length;
      pending = pending.length === 0 ? buf : Buffer.concat([pending, buf]);
      let offset = 0;
      for (; offset + FRAME_BYTES <= pending.length; offset += FRAME_BYTES) frame(pending.subarray(offset, offset + FRAME_BYTES));
      pending = pending.subarray(offset);
    });
    ws.on('close', () => {
      this.sockets.delete(ws);
      if (!serverClosing && !this.dropped.has(ws)) conn.closedByClientMs = performance.now();
    });
    ws.on('error', () => undefined); // a terminated socket; the test looks at `listens`
  }
}
