/**
 * A small OpenAI Realtime server for tests, on 127.0.0.1 and an OS-chosen port. The official SDK connects to it with
 * `baseURL: fake.url` (`http://127.0.0.1:PORT/v1`): it dials `GET /v1/realtime?model=…` with
 * `Authorization: Bearer <key>` and a WebSocket upgrade, which the server checks (404 for another path, 400 without a
 * model, 401 for a wrong key) before it speaks the protocol (`fake-session.ts`).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { FakeSession, type FakeSessionOptions, type ResponseScript } from './fake-session.js';
import type { CallerTranscriptScript } from './fake-transcription.js';

export interface FakeRealtimeServerOptions {
  /** The API key the server accepts; default `sk-test`. */
  readonly apiKey?: string;
  /** What each response says; default 1 s of 440 Hz. */
  readonly script?: ResponseScript;
  /** How much faster than real time audio is sent; default 4. */
  readonly realtimeFactor?: number;
  /** Audio per delta; default 100 ms. */
  readonly chunkMs?: number;
  /** Input RMS above which the server VAD hears speech; default -45 dBFS. */
  readonly vadThresholdDbfs?: number;
  readonly rejectSessionUpdate?: FakeSessionOptions['rejectSessionUpdate'];
  /** What the input transcription says of each caller turn (when the session asks for it); none by default. */
  readonly callerTranscript?: CallerTranscriptScript;
}

export interface FakeConnection {
  readonly path: string;
  readonly model: string | null;
  readonly authorization: string | undefined;
  readonly status: number;
}

export const DEFAULT_SCRIPT: ResponseScript = () => [{ type: 'audio', ms: 1_000 }];

export class FakeRealtimeServer {
  /** Every upgrade attempt, accepted (101) or not. */
  readonly connections: FakeConnection[] = [];
  readonly sessions: FakeSession[] = [];
  /** Changeable between calls: the script of the sessions opened after the change. */
  script: ResponseScript;
  /** Changeable between calls, like `script`. */
  callerTranscript: CallerTranscriptScript | undefined;
  private readonly wss = new WebSocketServer({ noServer: true });

  private constructor(
    private readonly server: Server,
    private readonly options: FakeRealtimeServerOptions,
  ) {
    this.script = options.script ?? DEFAULT_SCRIPT;
    this.callerTranscript = options.callerTranscript;
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
  }

  static async start(options: FakeRealtimeServerOptions = {}): Promise<FakeRealtimeServer> {
    const server = createServer((_req, res) => {
      res.writeHead(426).end('WebSocket only');
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new FakeRealtimeServer(server, options);
  }

  /** The base URL to give the SDK (`baseURL`) or the adapter (`baseUrl`). */
  get url(): string {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('fake realtime server is not listening');
    return `http://127.0.0.1:${address.port}/v1`;
  }

  /** The `index`th session, once it exists (polls every 5 ms, bounded). */
  async session(index: number, timeoutMs = 5_000): Promise<FakeSession> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const session = this.sessions[index];
      if (session !== undefined) return session;
      if (performance.now() > deadline) throw new Error(`no realtime session #${index} within ${timeoutMs} ms (${this.sessions.length} so far)`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const model = url.searchParams.get('model');
    const authorization = req.headers.authorization;
    let status = 101;
    if (url.pathname !== '/v1/realtime') status = 404;
    else if (model === null || model === '') status = 400;
    else if (authorization !== `Bearer ${this.options.apiKey ?? 'sk-test'}`) status = 401;
    this.connections.push({ path: url.pathname, model, authorization, status });
    if (status !== 101) {
      socket.end(`HTTP/1.1 ${status} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.sessions.push(
        new FakeSession(
          ws,
          {
            script: this.script,
            realtimeFactor: this.options.realtimeFactor ?? 4,
            chunkMs: this.options.chunkMs ?? 100,
            vadThresholdDbfs: this.options.vadThresholdDbfs ?? -45,
            ...(this.options.rejectSessionUpdate !== undefined ? { rejectSessionUpdate: this.options.rejectSessionUpdate } : {}),
            ...(this.callerTranscript !== undefined ? { callerTranscript: this.callerTranscript } : {}),
          },
          model ?? '',
        ),
      );
    });
  }
}
