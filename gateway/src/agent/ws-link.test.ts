import type { IncomingMessage } from 'node:http';
import { AUDIO_FORMAT, type StartMessage } from '@patchbay/agents';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startFailingAgents } from '../../test/helpers/failing-agents.js';
import { recordingSink } from '../../test/helpers/recording-sink.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import { startWsAgentServer } from '../../test/helpers/ws-agent-server.js';
import { AgentConnectError } from './agent-link.js';
import { connectWebSocketAgent, WebSocketLink } from './ws-link.js';

const logger = pino({ level: 'silent' });
const start: StartMessage = { type: 'start', version: 1, callId: 'call-1', streamId: 's-1', from: '+15550100009', to: '+15550100002', direction: 'inbound', parameters: {}, audio: AUDIO_FORMAT };
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function agentServer(onConnection: (ws: WebSocket, req: IncomingMessage) => void): Promise<string> {
  const server = await startWsAgentServer(onConnection, { path: '/bot' });
  cleanups.push(() => server.close());
  return server.url;
}

const until = (cond: () => boolean): Promise<void> => waitFor(cond, 3_000);

const options = (url: string) => ({ url, start, connectTimeoutMs: 500, maxUplinkMs: 100, logger });

describe('connectWebSocketAgent', () => {
  it('sends start first with the call headers, then binary frames; agent audio and control come back', async () => {
    const got: Array<{ binary: boolean; data: Buffer }> = [];
    let headers: IncomingMessage['headers'] = {};
    const url = await agentServer((ws, req) => {
      headers = req.headers;
      ws.on('message', (data, binary) => {
        got.push({ binary, data: data as Buffer });
        if (!binary) {
          ws.send(Buffer.from(new Int16Array([1, 2, 3]).buffer).subarray(0, 5)); // 2.5 samples: one byte carried
          ws.send(Buffer.from([0]));
          ws.send(JSON.stringify({ type: 'mark', name: 'm1' }));
        }
      });
    });
    const rec = recordingSink();
    const link = await connectWebSocketAgent({ ...options(url), token: 'tok' }, rec.sink);
    link.sendAudio(new Int16Array(480).fill(7));
    await until(() => got.length >= 2 && rec.messages.length === 1);
    expect(headers).toMatchObject({ 'x-patchbay-token': 'tok', 'x-patchbay-call-id': 'call-1', 'x-patchbay-protocol': '1' });
    expect(headers['sec-websocket-protocol']).toBeUndefined();
    expect(JSON.parse(got[0]?.data.toString() ?? '{}')).toMatchObject({ type: 'start', callId: 'call-1' });
    expect(got[1]).toMatchObject({ binary: true });
    expect(got[1]?.data.length).toBe(960);
    expect(rec.audio.flatMap((a) => Array.from(a))).toEqual([1, 2, 3]);
    expect(rec.messages).toEqual([{ type: 'mark', name: 'm1' }]);
    link.close('caller_hangup');
  });

  it('answers a malformed message with error{bad_message} and keeps the call', async () => {
    const replies: string[] = [];
    const url = await agentServer((ws) => {
      ws.on('message', (data, binary) => {
        if (binary) return;
        const msg = JSON.parse(String(data)) as { type: string };
        if (msg.type === 'start') {
          ws.send('{not json');
          ws.send(JSON.stringify({ type: 'dance' }));
          ws.send(JSON.stringify({ type: 'mark', name: 'ok' }));
        } else replies.push(msg.type === 'error' ? (msg as { code?: string }).code ?? '' : msg.type);
      });
    });
    const rec = recordingSink();
    const link = await connectWebSocketAgent(options(url), rec.sink);
    await until(() => replies.length === 2 && rec.messages.length === 1);
    expect(replies).toEqual(['bad_message', 'bad_message']);
    expect(link.stats.badMessages).toBe(2);
    expect(rec.messages).toEqual([{ type: 'mark', name: 'ok' }]);
    expect(rec.closes).toEqual([]);
    link.close('caller_hangup');
  });

  it('tells the call when the agent goes away, and says stop when we close', async () => {
    let agentSide: WebSocket | undefined;
    const url = await agentServer((ws) => (agentSide = ws));
    const rec = recordingSink();
    await connectWebSocketAgent(options(url), rec.sink);
    await until(() => agentSide !== undefined);
    agentSide?.close(1000, 'bye');
    await until(() => rec.closes.length === 1);
    expect(rec.closes).toEqual(['agent_closed']);

    const stops: string[] = [];
    const url2 = await agentServer((ws) => ws.on('message', (d, b) => { if (!b) stops.push(JSON.parse(String(d)).type as string); }));
    const rec2 = recordingSink();
    const link = await connectWebSocketAgent(options(url2), rec2.sink);
    link.close('caller_hangup');
    link.close('caller_hangup'); // idempotent
    await until(() => stops.includes('stop'));
    expect(stops).toEqual(['start', 'stop']);
    expect(rec2.closes).toEqual([]); // we closed it: no onClose back
  });

  it('reports refused, unreachable and silent agents with distinct codes', async () => {
    const dead = await startFailingAgents();
    cleanups.push(() => dead.close());
    await expect(connectWebSocketAgent(options(dead.refused), recordingSink().sink)).rejects.toMatchObject({ code: 'AGENT_REFUSED' });
    await expect(connectWebSocketAgent(options(dead.unreachable), recordingSink().sink)).rejects.toMatchObject({ code: 'AGENT_UNREACHABLE' });
    const err = await connectWebSocketAgent(options(dead.silent), recordingSink().sink).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentConnectError);
    expect((err as AgentConnectError).code).toBe('AGENT_TIMEOUT');
  });
});

describe('WebSocketLink uplink queue', () => {
  it('drops the oldest caller audio when the agent does not read, counts it and tells the agent', () => {
    const sent: Array<string | Buffer> = [];
    const fake = {
      readyState: WebSocket.OPEN,
      bufferedAmount: 1_000_000, // the agent stopped reading: the socket is full
      on: () => fake,
      send: (data: string | Buffer) => sent.push(data),
      close: () => undefined,
      terminate: () => undefined,
    };
    const rec = recordingSink();
    const link = new WebSocketLink(fake as unknown as WebSocket, options('ws://x'), rec.sink);
    for (let i = 0; i < 10; i++) link.sendAudio(new Int16Array(480).fill(i));
    // maxUplinkMs 100 = 5 frames: 5 dropped; nothing binary could be written.
    expect(link.stats.uplinkDroppedFrames).toBe(5);
    expect(sent.filter((s) => typeof s !== 'string')).toHaveLength(0);
    const errors = sent.filter((s): s is string => typeof s === 'string').map((s) => JSON.parse(s) as { type: string; code?: string; droppedMs?: number });
    expect(errors.find((e) => e.type === 'error')).toMatchObject({ code: 'uplink_overflow', droppedMs: 20 });
    // The agent catches up: the newest 5 frames go out, oldest first.
    fake.bufferedAmount = 0;
    link.sendAudio(new Int16Array(480).fill(10));
    const frames = sent.filter((s): s is Buffer => typeof s !== 'string').map((b) => b.readInt16LE(0));
    expect(frames).toEqual([6, 7, 8, 9, 10]);
  });
});
