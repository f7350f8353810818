/**
 * The rtc-node glue without a LiveKit server: what it does before and after a room exists, and the whole adapter
 * path (options → token → rtc-node connect) against a local server that refuses the join the way LiveKit refuses a
 * bad token (HTTP 401 on the signalling upgrade), so the token the real SDK sends can be checked.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentMessage } from '@patchbay/agents';
import { TokenVerifier } from 'livekit-server-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { adapter } from './index.js';
import { createRtcRoom } from './rtc-room.js';
import type { LiveKitSession } from './session.js';
import { fakeContext, recordingLogger } from './test-support/fake-context.js';

const KEY = 'APIlocaltest';
const SECRET = 'local-test-secret-local-test-secret';

const noHandlers = { audioTrack: () => {}, participantLeft: () => {}, dtmf: () => {}, disconnected: () => {} };

/** Answers every join with 401, recording the bearer token of each attempt. */
async function refusingServer(): Promise<{ server: Server; url: string; tokens: string[] }> {
  const tokens: string[] = [];
  const server = createServer((_req, res) => {
    res.writeHead(401, { 'content-type': 'text/plain' });
    res.end('invalid token');
  });
  server.on('upgrade', (req, socket) => {
    const auth = req.headers.authorization ?? '';
    tokens.push(auth.replace(/^Bearer /, ''));
    socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-type: text/plain\r\ncontent-length: 13\r\n\r\ninvalid token');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`, tokens };
}

let server: Server | undefined;
afterEach(async () => {
  server?.close();
  server = undefined;
});

describe('rtc-node room glue, no server needed', () => {
  it('refuses to publish before joining', async () => {
    const room = createRtcRoom(noHandlers, { logger: recordingLogger(), logFields: {} });
    await expect(room.publishAudio()).rejects.toMatchObject({ code: 'LIVEKIT_PUBLISH_FAILED' });
    await room.disconnect();
  });

  it('leaves idempotently without ever having joined, and will not join afterwards', async () => {
    const room = createRtcRoom(noHandlers, { logger: recordingLogger(), logFields: {} });
    const first = room.disconnect();
    expect(room.disconnect()).toBe(first);
    await first;
    await expect(room.connect('ws://127.0.0.1:9', 'token')).rejects.toMatchObject({ code: 'LIVEKIT_CONNECT_FAILED' });
  });

  it('reports a refused join as LIVEKIT_CONNECT_FAILED with the server reason', async () => {
    const refusing = await refusingServer();
    server = refusing.server;
    const room = createRtcRoom(noHandlers, { logger: recordingLogger(), logFields: {} });
    await expect(room.connect(refusing.url, 'not-a-jwt')).rejects.toMatchObject({
      code: 'LIVEKIT_CONNECT_FAILED',
      message: expect.stringContaining('401'),
    });
    expect(refusing.tokens).toContain('not-a-jwt');
    await room.disconnect();
  });
});

describe('livekit adapter through the real SDKs against a refusing server', () => {
  it('joins with a token for the call room and hangs up when the join is refused', async () => {
    const refusing = await refusingServer();
    server = refusing.server;
    const options = adapter.options.parse({ url: refusing.url, agentName: 'phone-agent', agentTimeoutMs: 0 });
    const logger = recordingLogger();
    const agent = adapter.create(options, { env: { LIVEKIT_API_KEY: KEY, LIVEKIT_API_SECRET: SECRET }, logger });

    const ctx = fakeContext();
    const hangup = new Promise<AgentMessage>((resolve) => {
      const send = ctx.send.bind(ctx);
      ctx.send = (msg) => {
        send(msg);
        if (msg.type === 'hangup') resolve(msg);
      };
    });
    const session = agent.create(ctx) as LiveKitSession;
    session.onAudio(new Int16Array(480)); // waits in the bounded queue meanwhile

    expect(await hangup).toEqual({ type: 'hangup', reason: 'livekit_connect_failed' });
    expect(logger.lines.find((l) => l.level === 'error')?.obj).toMatchObject({ callId: 'call-42', code: 'LIVEKIT_CONNECT_FAILED' });

    const claims = await new TokenVerifier(KEY, SECRET).verify(refusing.tokens[0] ?? '');
    expect(claims.sub).toBe('sip-call-42');
    expect(claims.video).toMatchObject({ room: 'patchbay-call-42', roomJoin: true, canPublish: true, canSubscribe: true });
    expect(claims.kind).toBe('sip');
    expect(claims.attributes).toMatchObject({ 'sip.phoneNumber': '+15550111', 'sip.trunkPhoneNumber': '+15550100' });
    expect(JSON.parse(claims.metadata ?? '{}')).toMatchObject({ callId: 'call-42', parameters: { campaign: 'spring' } });
    expect(claims.roomConfig).toMatchObject({ agents: [{ agentName: 'phone-agent' }] });

    session.close();
    await session.whenReleased;
    expect(logger.lines.filter((l) => l.msg === 'livekit: leaving the room failed')).toEqual([]);
  });
});
