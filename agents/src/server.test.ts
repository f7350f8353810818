import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { RawData } from 'ws';
import type { Agent, AgentContext } from './agent.js';
import { echoAgent } from './builtin/echo.js';
import { AUDIO_FORMAT, FRAME_BYTES } from './protocol/messages.js';
import type { GatewayMessage, StartMessage } from './protocol/messages.js';
import { signCallToken } from './protocol/token.js';
import { serveAgent, serveAgents } from './server.js';
import type { AgentServer, AgentServerLogger, AgentsServer } from './server.js';

const WAIT_MS = 2000;
const SECRET = 's3cret';

/** Values pushed by callbacks, awaited in order with a bounded wait. */
class Inbox<T> {
  private readonly items: T[] = [];
  private waiter: (() => void) | undefined;

  push(item: T): void {
    this.items.push(item);
    this.waiter?.();
  }

  async next(what = 'item'): Promise<T> {
    const deadline = performance.now() + WAIT_MS;
    for (;;) {
      const item = this.items.shift();
      if (item !== undefined) return item;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  get size(): number {
    return this.items.length;
  }
}

type Event =
  | { kind: 'create'; ctx: AgentContext }
  | { kind: 'audio'; frame: Int16Array }
  | { kind: 'message'; msg: GatewayMessage }
  | { kind: 'close'; aborted: boolean };

function recordingAgent(events: Inbox<Event>, opts: { throwOnAudio?: boolean } = {}): Agent {
  return {
    name: 'recorder',
    create(ctx) {
      events.push({ kind: 'create', ctx });
      return {
        onAudio(frame) {
          if (opts.throwOnAudio === true) throw new Error('agent bug');
          events.push({ kind: 'audio', frame });
        },
        onMessage: (msg) => events.push({ kind: 'message', msg }),
        close: () => events.push({ kind: 'close', aborted: ctx.signal.aborted }),
      };
    },
  };
}

function captureLogger(): { logger: AgentServerLogger; warnings: string[] } {
  const warnings: string[] = [];
  const logger: AgentServerLogger = {
    debug() {},
    info() {},
    warn: (_obj, msg) => warnings.push(msg),
    error: (_obj, msg) => warnings.push(msg),
  };
  return { logger, warnings };
}

function startMessage(callId = 'call-1'): StartMessage {
  return {
    type: 'start',
    version: 1,
    callId,
    streamId: 'stream-1',
    from: '+15550100001',
    to: '+15550100002',
    direction: 'inbound',
    parameters: { k: 'v' },
    audio: AUDIO_FORMAT,
  };
}

interface GatewaySide {
  ws: WebSocket;
  inbox: Inbox<{ binary: boolean; data: Buffer }>;
  closed: Promise<{ code: number; reason: string }>;
}

/** A real `ws` client doing what the gateway does. Rejects with the HTTP status when the upgrade is refused. */
async function dial(url: string, headers: Record<string, string> = {}): Promise<GatewaySide> {
  const ws = new WebSocket(url, { headers: { 'X-Patchbay-Protocol': '1', ...headers } });
  const inbox = new Inbox<{ binary: boolean; data: Buffer }>();
  ws.on('message', (data: RawData, binary: boolean) => inbox.push({ binary, data: rawToBuffer(data) }));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode ?? 0}`)));
    ws.once('error', reject);
  });
  return { ws, inbox, closed };
}

function rawToBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

function frameBytes(seed: number, samples = FRAME_BYTES / 2): Buffer {
  const b = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) b.writeInt16LE(((seed * 1000 + i * 37) % 65536) - 32768, i * 2);
  return b;
}

async function nextOf<K extends Event['kind']>(events: Inbox<Event>, kind: K): Promise<Extract<Event, { kind: K }>> {
  const e = await events.next(kind);
  if (e.kind !== kind) throw new Error(`expected ${kind}, got ${e.kind}`);
  return e as Extract<Event, { kind: K }>;
}

let server: AgentServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('serveAgent without a secret', () => {
  it('round-trips audio frames through echo, byte for byte', async () => {
    server = await serveAgent(echoAgent, { logger: captureLogger().logger });
    const gw = await dial(server.url);
    expect(gw.ws.protocol).toBe(''); // no subprotocol: the version travels in X-Patchbay-Protocol
    gw.ws.send(JSON.stringify(startMessage()));
    const frames = [frameBytes(1), frameBytes(2), frameBytes(3)];
    for (const f of frames) gw.ws.send(f);
    for (const f of frames) {
      const got = await gw.inbox.next('echoed frame');
      expect(got.binary).toBe(true);
      expect(got.data.equals(f)).toBe(true);
    }
  });

  it('splits any binary message into 480-sample frames, carrying the remainder', async () => {
    const events = new Inbox<Event>();
    server = await serveAgent(recordingAgent(events), { logger: captureLogger().logger });
    const gw = await dial(server.url);
    gw.ws.send(JSON.stringify(startMessage()));
    await nextOf(events, 'create');
    const two = Buffer.concat([frameBytes(4), frameBytes(5)]);
    gw.ws.send(two.subarray(0, 1441)); // 1.5 frames and one odd byte
    gw.ws.send(two.subarray(1441));
    const a = await nextOf(events, 'audio');
    const b = await nextOf(events, 'audio');
    expect(a.frame.length).toBe(480);
    expect(Buffer.from(a.frame.buffer).equals(frameBytes(4))).toBe(true);
    expect(Buffer.from(b.frame.buffer).equals(frameBytes(5))).toBe(true);
  });

  it('creates the session on start, maps text to onMessage, and the context to the socket', async () => {
    const events = new Inbox<Event>();
    server = await serveAgent(recordingAgent(events), { logger: captureLogger().logger });
    const gw = await dial(server.url);
    gw.ws.send(frameBytes(9)); // before start: ignored
    gw.ws.send(JSON.stringify(startMessage()));
    const { ctx } = await nextOf(events, 'create');
    expect(ctx.start).toEqual(startMessage());
    gw.ws.send(JSON.stringify({ type: 'dtmf', digit: '5', durationMs: 80, source: 'rfc4733' }));
    expect((await nextOf(events, 'message')).msg).toEqual({ type: 'dtmf', digit: '5', durationMs: 80, source: 'rfc4733' });

    ctx.send({ type: 'mark', name: 'm1' });
    const samples = Int16Array.from([1, -2, 3, 32767, -32768]);
    ctx.sendAudio(samples);
    const text = await gw.inbox.next('mark');
    expect(text.binary).toBe(false);
    expect(JSON.parse(text.data.toString())).toEqual({ type: 'mark', name: 'm1' });
    const audio = await gw.inbox.next('audio');
    expect(audio.binary).toBe(true);
    expect(audio.data.length).toBe(10);
    expect(audio.data.readInt16LE(6)).toBe(32767);
    expect(audio.data.readInt16LE(8)).toBe(-32768);
    expect(() => ctx.send({ type: 'mark', name: '' })).toThrow(/name/);
    expect(events.size).toBe(0); // the frame sent before start never reached the agent
  });

  it('logs and ignores malformed text; the call goes on', async () => {
    const events = new Inbox<Event>();
    const { logger, warnings } = captureLogger();
    server = await serveAgent(recordingAgent(events), { logger });
    const gw = await dial(server.url);
    gw.ws.send(JSON.stringify(startMessage()));
    await nextOf(events, 'create');
    gw.ws.send('not json');
    gw.ws.send('{"type":"media","payload":"AAAA"}');
    gw.ws.send('{"type":"mark","name":"m"}');
    gw.ws.send(JSON.stringify(startMessage('again')));
    gw.ws.send(JSON.stringify({ type: 'cleared', droppedMs: 20, playedMs: 40 }));
    expect((await nextOf(events, 'message')).msg).toEqual({ type: 'cleared', droppedMs: 20, playedMs: 40 });
    expect(warnings.filter((w) => w.includes('malformed'))).toHaveLength(3);
    expect(warnings.some((w) => w.includes('second start'))).toBe(true);
    expect(gw.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('stop reaches the agent, then the session closes with its signal aborted', async () => {
    const events = new Inbox<Event>();
    server = await serveAgent(recordingAgent(events), { logger: captureLogger().logger });
    const gw = await dial(server.url);
    gw.ws.send(JSON.stringify(startMessage()));
    const { ctx } = await nextOf(events, 'create');
    gw.ws.send(JSON.stringify({ type: 'stop', reason: 'caller_hangup' }));
    expect((await nextOf(events, 'message')).msg).toEqual({ type: 'stop', reason: 'caller_hangup' });
    expect(await nextOf(events, 'close')).toEqual({ kind: 'close', aborted: true });
    ctx.sendAudio(new Int16Array(480)); // after the end: dropped, no throw
    gw.ws.close(1000);
    await gw.closed;
    expect(events.size).toBe(0); // close is called once
  });

  it('closes the session when the gateway closes without stop', async () => {
    const events = new Inbox<Event>();
    server = await serveAgent(recordingAgent(events), { logger: captureLogger().logger });
    const gw = await dial(server.url);
    gw.ws.send(JSON.stringify(startMessage()));
    await nextOf(events, 'create');
    gw.ws.terminate();
    expect(await nextOf(events, 'close')).toEqual({ kind: 'close', aborted: true });
  });

  it('an agent that throws ends only its own call (1011)', async () => {
    const events = new Inbox<Event>();
    server = await serveAgent(recordingAgent(events, { throwOnAudio: true }), { logger: captureLogger().logger });
    const bad = await dial(server.url);
    bad.ws.send(JSON.stringify(startMessage()));
    bad.ws.send(frameBytes(1));
    expect((await bad.closed).code).toBe(1011);
    const good = await dial(server.url);
    good.ws.send(JSON.stringify(startMessage('call-2')));
    const created = await nextOf(events, 'create');
    expect(created.ctx.start.callId).toBe('call-1');
    expect((await nextOf(events, 'close')).aborted).toBe(true);
    expect((await nextOf(events, 'create')).ctx.start.callId).toBe('call-2');
  });

  it('refuses other paths with 404, and close() ends open calls with 1001', async () => {
    server = await serveAgent(echoAgent, { path: '/bot', logger: captureLogger().logger });
    expect(server.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/bot$/);
    await expect(dial(server.url.replace('/bot', '/other'))).rejects.toThrow('HTTP 404');
    const gw = await dial(server.url);
    const first = server.close();
    expect(server.close()).toBe(first);
    await first;
    expect((await gw.closed).code).toBe(1001);
  });
});

describe('serveAgent with a secret', () => {
  async function secured(): Promise<{ url: string; events: Inbox<Event> }> {
    const events = new Inbox<Event>();
    server = await serveAgent(recordingAgent(events), { secret: SECRET, path: '/bot', logger: captureLogger().logger });
    return { url: server.url, events };
  }
  const token = (url: string, callId = 'call-1', secret = SECRET): string =>
    signCallToken(secret, { callId, streamId: 'stream-1', url });

  it('refuses an upgrade without a token, with a bad one, or for another URL (401)', async () => {
    const { url } = await secured();
    await expect(dial(url)).rejects.toThrow('HTTP 401');
    await expect(dial(url, { 'X-Patchbay-Token': 'a.b.c' })).rejects.toThrow('HTTP 401');
    await expect(dial(url, { 'X-Patchbay-Token': token(url, 'call-1', 'wrong') })).rejects.toThrow('HTTP 401');
    await expect(dial(url, { 'X-Patchbay-Token': token(`${url}x`) })).rejects.toThrow('HTTP 401');
    // Issued for the URL without a query, presented on the URL with one.
    await expect(dial(`${url}?a=1`, { 'X-Patchbay-Token': token(url) })).rejects.toThrow('HTTP 401');
    await expect(
      dial(url, { 'X-Patchbay-Token': token(url), 'X-Patchbay-Call-Id': 'someone-else' }),
    ).rejects.toThrow('HTTP 401');
  });

  it('accepts a valid token (query string included) and serves the call', async () => {
    const { url, events } = await secured();
    const withQuery = `${url}?tenant=a`;
    const gw = await dial(withQuery, { 'X-Patchbay-Token': token(withQuery), 'X-Patchbay-Call-Id': 'call-1' });
    gw.ws.send(JSON.stringify(startMessage()));
    expect((await nextOf(events, 'create')).ctx.start.callId).toBe('call-1');
  });

  it('closes with 1008 when start names another call than the token', async () => {
    const { url, events } = await secured();
    const gw = await dial(url, { 'X-Patchbay-Token': token(url) });
    gw.ws.send(JSON.stringify(startMessage('call-2')));
    expect(await gw.closed).toEqual({ code: 1008, reason: 'callId mismatch' });
    expect(events.size).toBe(0);
  });
});

describe('serveAgents', () => {
  let many: AgentsServer | undefined;
  afterEach(async () => {
    await many?.close();
    many = undefined;
  });

  it('serves one agent per path on one port; other paths get 404', async () => {
    const events = new Inbox<Event>();
    many = await serveAgents({ '/echo': echoAgent, '/rec': recordingAgent(events) }, { logger: captureLogger().logger });
    expect(many.urls).toEqual({ '/echo': `${many.url}/echo`, '/rec': `${many.url}/rec` });
    const echo = await dial(many.urls['/echo'] ?? '');
    echo.ws.send(JSON.stringify(startMessage()));
    echo.ws.send(frameBytes(1));
    expect((await echo.inbox.next('echoed frame')).data.equals(frameBytes(1))).toBe(true);
    const rec = await dial(many.urls['/rec'] ?? '');
    rec.ws.send(JSON.stringify(startMessage('call-2')));
    expect((await nextOf(events, 'create')).ctx.start.callId).toBe('call-2');
    await expect(dial(`${many.url}/`)).rejects.toThrow('HTTP 404');
  });

  it('checks tokens against publicUrl + path', async () => {
    many = await serveAgents({ '/a': echoAgent, '/b': echoAgent }, { secret: SECRET, publicUrl: 'wss://bots.example/', logger: captureLogger().logger });
    const tokenFor = (url: string): string => signCallToken(SECRET, { callId: 'call-1', streamId: 'stream-1', url });
    await expect(dial(many.urls['/a'] ?? '', { 'X-Patchbay-Token': tokenFor('wss://bots.example/b') })).rejects.toThrow('HTTP 401');
    const gw = await dial(many.urls['/a'] ?? '', { 'X-Patchbay-Token': tokenFor('wss://bots.example/a') });
    expect(gw.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('refuses a path without a leading slash, and an empty map', async () => {
    await expect(serveAgents({ sales: echoAgent })).rejects.toThrow(/'sales' is not a URL path/);
    await expect(serveAgents({})).rejects.toThrow(/no agents/);
  });
});
