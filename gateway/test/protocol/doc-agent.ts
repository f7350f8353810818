/**
 * A Patchbay agent written from `docs/protocol.md` alone, for black-box protocol tests: a plain `ws`
 * WebSocketServer on 127.0.0.1, port 0. It checks `X-Patchbay-Token` with the docs' §2 recipe (refusing the
 * upgrade with 401 when the token does not verify), records every upgrade and every message it receives with a
 * monotonic timestamp (`performance.now()`), and sends only what the test tells it to.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { waitFor } from '../helpers/gateway.js';

/** The token payload of §2. */
export interface TokenClaims {
  readonly iss: string;
  readonly aud: string;
  readonly callId: string;
  readonly streamId: string;
  readonly iat: number;
  readonly exp: number;
}

/** A JSON text message from the gateway: an object with a string `type` (§4); other fields are narrowed by tests. */
export type GatewayMessage = Readonly<Record<string, unknown>> & { readonly type: string };

export type Received =
  | { readonly kind: 'json'; readonly atMs: number; readonly message: GatewayMessage }
  /** Text that is not a JSON object with a string `type`: a protocol violation the tests can see. */
  | { readonly kind: 'text'; readonly atMs: number; readonly text: string }
  | { readonly kind: 'binary'; readonly atMs: number; readonly data: Buffer };

export interface UpgradeRecord {
  readonly atMs: number;
  /** Request target as received, e.g. `/patchbay?tenant=acme`. */
  readonly target: string;
  readonly headers: IncomingHttpHeaders;
  readonly token: string | undefined;
  /** The verified claims, or null when the token is missing or does not verify. */
  readonly claims: TokenClaims | null;
  readonly accepted: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isClaims(value: unknown): value is TokenClaims {
  return (
    isRecord(value) &&
    typeof value['iss'] === 'string' &&
    typeof value['aud'] === 'string' &&
    typeof value['callId'] === 'string' &&
    typeof value['streamId'] === 'string' &&
    typeof value['iat'] === 'number' &&
    typeof value['exp'] === 'number'
  );
}

/** §2's five lines, typed: the claims when `token` is signed with `secret`, unexpired and addressed to `myUrl`. */
export function verify(token: string, secret: string, myUrl: string): TokenClaims | null {
  const [h = '', p = '', s = ''] = token.split('.');
  const mac = createHmac('sha256', secret).update(`${h}.${p}`).digest('base64url');
  if (s.length !== mac.length || !timingSafeEqual(Buffer.from(s), Buffer.from(mac))) return null;
  let c: unknown;
  try {
    c = JSON.parse(Buffer.from(p, 'base64url').toString());
  } catch {
    return null;
  }
  // Epoch seconds, as the `exp` claim is: wall clock is right here (not a latency measurement).
  return isClaims(c) && c.exp > Date.now() / 1000 && c.aud === myUrl ? c : null;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** One WebSocket connection from the gateway: one call. */
export class AgentCall {
  readonly received: Received[] = [];
  private closeInfo: { readonly code: number; readonly reason: string; readonly atMs: number } | undefined;

  constructor(
    readonly upgrade: UpgradeRecord,
    private readonly ws: WebSocket,
    onJson: (call: AgentCall, message: GatewayMessage) => void,
  ) {
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const atMs = performance.now();
      const bytes = toBuffer(data);
      if (isBinary) {
        this.received.push({ kind: 'binary', atMs, data: bytes });
        return;
      }
      const text = bytes.toString('utf8');
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      if (isRecord(parsed) && typeof parsed['type'] === 'string') {
        const message: GatewayMessage = { ...parsed, type: parsed['type'] };
        this.received.push({ kind: 'json', atMs, message });
        onJson(this, message);
      } else {
        this.received.push({ kind: 'text', atMs, text: text.slice(0, 500) });
      }
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.closeInfo = { code, reason: reason.toString('utf8'), atMs: performance.now() };
    });
    ws.on('error', (error: Error) => {
      this.received.push({ kind: 'text', atMs: performance.now(), text: `<socket error: ${error.message}>` });
    });
  }

  /** The JSON messages received so far, in order. */
  messages(): GatewayMessage[] {
    return this.received.flatMap((r) => (r.kind === 'json' ? [r.message] : []));
  }

  /** JSON messages with their arrival times. */
  timed(): { readonly atMs: number; readonly message: GatewayMessage }[] {
    return this.received.flatMap((r) => (r.kind === 'json' ? [{ atMs: r.atMs, message: r.message }] : []));
  }

  /** Binary messages (caller audio) with their arrival times. */
  frames(): { readonly atMs: number; readonly data: Buffer }[] {
    return this.received.flatMap((r) => (r.kind === 'binary' ? [{ atMs: r.atMs, data: r.data }] : []));
  }

  get closed(): { readonly code: number; readonly reason: string; readonly atMs: number } | undefined {
    return this.closeInfo;
  }

  /** Send raw PCM16 (binary). Returns the monotonic send time. */
  sendAudio(pcm: Buffer): number {
    this.ws.send(pcm, { binary: true });
    return performance.now();
  }

  /** Send a control message as JSON text. Returns the monotonic send time. */
  sendJson(message: Readonly<Record<string, unknown>>): number {
    return this.sendText(JSON.stringify(message));
  }

  /** Send any text, valid or not. Returns the monotonic send time. */
  sendText(text: string): number {
    this.ws.send(text, { binary: false });
    return performance.now();
  }

  /** Resolves with the first JSON message (from index `from` of `messages()`) that `match` accepts. */
  async waitForMessage(
    match: (message: GatewayMessage) => boolean,
    timeoutMs: number,
    what: string,
    from = 0,
  ): Promise<{ readonly atMs: number; readonly message: GatewayMessage }> {
    const find = (): { readonly atMs: number; readonly message: GatewayMessage } | undefined =>
      this.timed()
        .slice(from)
        .find((m) => match(m.message));
    await waitFor(() => find() !== undefined, timeoutMs, () => `${what}; ${this.describe()}`);
    const found = find();
    if (found === undefined) throw new Error(`${what}: vanished`);
    return found;
  }

  async waitForClose(timeoutMs: number): Promise<{ readonly code: number; readonly reason: string; readonly atMs: number }> {
    await waitFor(() => this.closeInfo !== undefined, timeoutMs, () => `socket close; ${this.describe()}`);
    const info = this.closeInfo;
    if (info === undefined) throw new Error('socket close: vanished');
    return info;
  }

  /** Text messages and a frame count, for assertion messages. */
  describe(): string {
    const texts = this.received.flatMap((r) =>
      r.kind === 'json' ? [JSON.stringify(r.message)] : r.kind === 'text' ? [`<text ${JSON.stringify(r.text)}>`] : [],
    );
    const close = this.closeInfo === undefined ? 'open' : `closed ${this.closeInfo.code}`;
    return `agent got ${this.frames().length} audio frames, ${close}, text: ${texts.join(' ')}`;
  }

  /** Drop the connection without a close handshake (test clean-up). */
  terminate(): void {
    this.ws.terminate();
  }
}

export interface DocAgentOptions {
  /** Path and query the agent is reached at, e.g. `/patchbay?tenant=acme`. */
  readonly path: string;
  /** Shared secret; without one the agent accepts every upgrade. */
  readonly secret?: string;
  /** Called for every JSON message, as it arrives (for replies that must not wait on a poll). */
  readonly onJson?: (call: AgentCall, message: GatewayMessage) => void;
}

export class DocAgent {
  readonly upgrades: UpgradeRecord[] = [];
  readonly calls: AgentCall[] = [];
  /** Replaceable per test: called for every JSON message of every call, as it arrives. */
  onJson: (call: AgentCall, message: GatewayMessage) => void;
  private readonly wss: WebSocketServer;
  private readonly pending = new Map<IncomingMessage, UpgradeRecord>();
  private ownUrl = '';

  private constructor(options: DocAgentOptions) {
    this.onJson = options.onJson ?? (() => undefined);
    this.wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      verifyClient: (info: { req: IncomingMessage }, done: (ok: boolean, code?: number) => void) => {
        const token = headerValue(info.req.headers, 'x-patchbay-token');
        const claims =
          options.secret === undefined || token === undefined ? null : verify(token, options.secret, this.ownUrl);
        const accepted = options.secret === undefined || claims !== null;
        const record: UpgradeRecord = {
          atMs: performance.now(),
          target: info.req.url ?? '',
          headers: { ...info.req.headers },
          token,
          claims,
          accepted,
        };
        this.upgrades.push(record);
        if (accepted) this.pending.set(info.req, record);
        done(accepted, 401);
      },
    });
    this.wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
      const upgrade = this.pending.get(req);
      this.pending.delete(req);
      if (upgrade === undefined) {
        ws.close(1011, 'no recorded upgrade');
        return;
      }
      this.calls.push(new AgentCall(upgrade, ws, (call, message) => this.onJson(call, message)));
    });
  }

  static async start(options: DocAgentOptions): Promise<DocAgent> {
    const agent = new DocAgent(options);
    await new Promise<void>((resolve, reject) => {
      agent.wss.once('error', reject);
      agent.wss.once('listening', () => resolve());
    });
    const address = agent.wss.address();
    if (address === null || typeof address === 'string') throw new Error('agent server has no port');
    agent.ownUrl = `ws://127.0.0.1:${address.port}${options.path}`;
    return agent;
  }

  /** The URL to configure in the gateway, which is also this agent's expected token audience. */
  get url(): string {
    return this.ownUrl;
  }

  /** The `index`-th call (0-based), once its connection is open. */
  async call(index: number, timeoutMs: number): Promise<AgentCall> {
    await waitFor(
      () => this.calls[index] !== undefined,
      timeoutMs,
      () => `connection #${index}: ${this.calls.length} so far, ${this.upgrades.length} upgrade(s)`,
    );
    const call = this.calls[index];
    if (call === undefined) throw new Error(`connection #${index}: vanished`);
    return call;
  }

  async close(): Promise<void> {
    for (const call of this.calls) call.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

/** `ms` of a PCM16 LE 24 kHz sine tone (amplitude 8,000): audio the caller can be checked to hear. */
export function tone(ms: number, hz = 440): Buffer {
  const samples = ms * 24;
  const out = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) {
    out.writeInt16LE(Math.round(8_000 * Math.sin((2 * Math.PI * hz * i) / 24_000)), i * 2);
  }
  return out;
}
