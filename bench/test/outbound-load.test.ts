/**
 * The load generator's outbound direction against a scripted gateway on loopback: an HTTP server that takes
 * `POST /v1/calls` and, like the gateway, INVITEs the trunk's proxy (the load generator's UAS) with an offer whose
 * media goes to an RTP reflector (an echo agent without the agent), ACKs the 200, and answers BYE.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { LoadGenerator, type LoadTarget } from '../src/load/load-generator.js';
import { SipUas } from '../src/load/sip-uas.js';
import { tagOf } from '../src/load/sip-message.js';
import { ScriptedUac } from './scripted-uac.js';

interface FakeGateway {
  readonly apiUrl: string;
  readonly posts: Record<string, unknown>[];
  readonly uac: ScriptedUac;
  close(): void;
}

async function rtpReflector(): Promise<Socket> {
  const socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => socket.send(msg, rinfo.port, rinfo.address));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return socket;
}

function pcmuOffer(rtpPort: number): string {
  return [
    'v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${rtpPort} RTP/AVP 0 101`,
    'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=ptime:20', 'a=sendrecv', '',
  ].join('\r\n');
}

/** `refuse`: answer every POST with this problem status and code; `silent`: answer 201 but never call. */
async function fakeGateway(uasPort: number, mode: 'call' | 'silent' | { refuse: { status: number; code: string } } = 'call'): Promise<FakeGateway> {
  const refuse = typeof mode === 'object' ? mode.refuse : undefined;
  const uac = await ScriptedUac.open(uasPort);
  const rtp = await rtpReflector();
  const posts: Record<string, unknown>[] = [];
  let calls = 0;
  // ACK every 200 to an INVITE, answer every BYE.
  const handled = new Set<unknown>();
  void (async () => {
    for (;;) {
      const m = await uac.waitFor((x) => !handled.has(x) && ((x.status === 200 && x.cseq === '1 INVITE') || x.method === 'BYE'), 60_000).catch(() => undefined);
      if (m === undefined) return;
      handled.add(m);
      const user = /<sip:([^@]+)@/.exec(m.headers.get('to') ?? '')?.[1] ?? '';
      if (m.method === 'BYE') uac.send(uac.ok(m));
      else uac.send(uac.ack({ callId: m.callId, user, toTag: tagOf(m.headers.get('to') ?? '') }));
    }
  })();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const json = JSON.parse(body) as Record<string, unknown>;
      posts.push({ ...json, method: req.method, url: req.url });
      if (refuse !== undefined) {
        res.writeHead(refuse.status, { 'content-type': 'application/problem+json' });
        res.end(JSON.stringify({ status: refuse.status, code: refuse.code }));
        return;
      }
      const n = ++calls;
      if (mode === 'call') uac.send(uac.invite({ callId: `out-${n}`, user: String(json['to']), branch: `z9hG4bKout${n}`, offer: pcmuOffer(rtp.address().port) }));
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: `out-${n}`, status: 'queued' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    apiUrl: `http://127.0.0.1:${port}`,
    posts,
    uac,
    close() {
      server.close();
      rtp.close();
      uac.close();
    },
  };
}

const target: LoadTarget = {
  host: '127.0.0.1', sipPort: 1, echoNumber: '+15550000001', turnNumber: '+15550000002', bargeInNumber: '+15550000003',
  turnEvery: 0, bargeInEvery: 0, bargeInOffset: 0, codec: 'PCMU',
};

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

describe('LoadGenerator, outbound (the gateway calls the load generator)', () => {
  it('asks for each call by POST /v1/calls, answers the INVITE, runs the same media, and hangs up with BYE', async () => {
    const uas = await SipUas.open();
    const gateway = await fakeGateway(uas.port);
    const gen = await LoadGenerator.createOutbound(target, uas, { apiUrl: gateway.apiUrl, trunk: 'bench-carrier', toPrefix: '+1555200' });
    cleanup.push(() => gen.close(), () => gateway.close());

    await gen.addCalls(3, 20);
    expect(gen.failures.size).toBe(0);
    expect(gen.activeCalls).toBe(3);
    expect(gateway.posts).toEqual([0, 1, 2].map((n) => ({
      to: `+1555200${String(n).padStart(6, '0')}`, trunk: 'bench-carrier', number: '+15550000001', method: 'POST', url: '/v1/calls',
    })));
    // Setup at the carrier side: INVITE received → 200 sent, and → ACK received; POST → INVITE at the API client.
    const samples = gen.outboundSamples;
    expect(gen.setupMs.length).toBe(3);
    expect(samples?.inviteToAckMs.length).toBe(3);
    expect(samples?.apiToInviteMs.length).toBe(3);
    expect(samples?.apiAnswerMs.length).toBe(3);
    for (let i = 0; i < 3; i++) {
      expect(gen.setupMs.at(i)).toBeGreaterThanOrEqual(0);
      expect(samples?.inviteToAckMs.at(i)).toBeGreaterThanOrEqual(gen.setupMs.at(i) ?? Infinity);
    }
    // The echo calls' markers come back through the reflector: round trips measured exactly as for inbound calls.
    await expect.poll(() => gen.shared.roundTripMs.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(3);
    expect(gen.counters().packetsReceived).toBeGreaterThan(0);

    await gen.hangUpAll();
    expect(gen.failures.size).toBe(0);
    expect(gen.activeCalls).toBe(0);
    expect(gateway.uac.count((m) => m.method === 'BYE')).toBe(3);
  });

  it('counts a refused POST under the API\'s status and code, and no call comes up', async () => {
    const uas = await SipUas.open();
    const gateway = await fakeGateway(uas.port, { refuse: { status: 503, code: 'TRUNK_BUSY' } });
    const gen = await LoadGenerator.createOutbound(target, uas, { apiUrl: gateway.apiUrl, trunk: 'bench-carrier', toPrefix: '+1555200' });
    cleanup.push(() => gen.close(), () => gateway.close());
    await gen.addCalls(2, 50);
    expect(Object.fromEntries(gen.failures)).toEqual({ 'OUTBOUND_API_REFUSED 503 TRUNK_BUSY': 2 });
    expect(gen.activeCalls).toBe(0);
  });

  it('fails a call whose INVITE never comes within the timeout, and refuses an INVITE nobody asked for with 404', async () => {
    const uas = await SipUas.open();
    const gateway = await fakeGateway(uas.port, 'silent');
    const gen = await LoadGenerator.createOutbound(target, uas, { apiUrl: gateway.apiUrl, trunk: 't', toPrefix: '+1555200', timeoutMs: 300 });
    cleanup.push(() => gen.close(), () => gateway.close());
    await gen.addCalls(1, 10);
    expect(Object.fromEntries(gen.failures)).toEqual({ OUTBOUND_TIMEOUT: 1 });
    gateway.uac.send(gateway.uac.invite({ callId: 'stray', user: '+19990000000', branch: 'z9hG4bKstray', offer: pcmuOffer(9) }));
    await gateway.uac.waitFor((m) => m.callId === 'stray' && m.status === 404);
  });
});
