import { afterEach, describe, expect, it } from 'vitest';
import type { SipResponse } from './message.js';
import { createResponse } from './response.js';
import { SipStack, type ServerTransaction } from './stack.js';
import { SipTraffic, type SipTrafficSnapshot } from './sip-traffic.js';
import { rawRequest, udpPeer, type UdpPeer } from './transport/test-peers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function response(status: number, cseq: string | undefined): SipResponse {
  return { kind: 'response', status, reason: 'x', headers: cseq === undefined ? [] : [{ name: 'CSeq', value: cseq }], body: Buffer.alloc(0) };
}

/** Counts as `{ 'INVITE': 2 }` and `{ 'INVITE 100': 1 }`, order-free. */
function flat(s: SipTrafficSnapshot): { requests: Record<string, number>; responses: Record<string, number> } {
  return {
    requests: s.requests,
    responses: Object.fromEntries(s.responses.map((r) => [`${r.method} ${r.status}`, r.count])),
  };
}

describe('SipTraffic', () => {
  it('counts requests by method and responses by the CSeq method and exact status, in a closed label set', () => {
    const t = new SipTraffic();
    for (const m of ['INVITE', 'INVITE', 'BYE', 'FROBNICATE', 'invite']) t.requestReceived(m);
    t.responseSent(response(100, '1 INVITE'));
    t.responseSent(response(200, '1 INVITE'));
    t.responseSent(response(200, '1 INVITE'));
    t.responseSent(response(481, '2 BYE'));
    t.responseSent(response(200, '3 WHATEVER'));
    t.responseSent(response(200, undefined));
    t.responseSent(response(999, '4 OPTIONS'));
    expect(flat(t.snapshot())).toEqual({
      // Methods are case-sensitive (RFC 3261 §7.1): `invite` is not INVITE.
      requests: { INVITE: 2, BYE: 1, OTHER: 2 },
      responses: { 'INVITE 100': 1, 'INVITE 200': 2, 'BYE 481': 1, 'OTHER 200': 2, 'OPTIONS other': 1 },
    });
  });
});

describe('SipStack traffic counters', () => {
  async function setup(): Promise<{ stack: SipStack; port: number; peer: UdpPeer; txs: ServerTransaction[] }> {
    const stack = new SipStack({ host: '127.0.0.1', port: 0, tcp: false });
    const port = (await stack.listen()).udpPort ?? 0;
    cleanups.push(() => stack.close());
    const peer = await udpPeer();
    cleanups.push(() => peer.close());
    const txs: ServerTransaction[] = [];
    stack.onRequest = (tx) => {
      txs.push(tx);
      if (tx.request.method === 'OPTIONS') tx.respond(createResponse(tx.request, 200, { toTag: 'o' }));
      if (tx.request.method === 'FOO') tx.respond(createResponse(tx.request, 501, { toTag: 'f' }));
    };
    return { stack, port, peer, txs };
  }

  async function nextStatus(peer: UdpPeer): Promise<number> {
    const msg = await peer.next();
    if (msg.kind !== 'response') throw new Error('expected a response');
    return msg.status;
  }

  it('counts what crosses the wire: retransmitted requests, the stack’s 100 Trying, TU answers and stateless 2xx resends', async () => {
    const { stack, port, peer, txs } = await setup();
    const via = (branch: string): string => `SIP/2.0/UDP 127.0.0.1:${peer.port};branch=${branch};rport`;
    const invite = rawRequest({ method: 'INVITE', via: via('z9hG4bKt1') });
    await peer.send(invite, port);
    expect(await nextStatus(peer)).toBe(100);
    await peer.send(invite, port); // a retransmission: absorbed (100 again), but it did arrive
    expect(await nextStatus(peer)).toBe(100);
    const tx = txs[0];
    if (tx === undefined) throw new Error('no INVITE transaction');
    const ok = createResponse(tx.request, 200, { toTag: 'uas' });
    tx.respond(ok);
    expect(await nextStatus(peer)).toBe(200);
    stack.sendStateless(ok, tx.remote); // the call layer resends a 2xx until its ACK
    expect(await nextStatus(peer)).toBe(200);
    await peer.send(rawRequest({ via: via('z9hG4bKt2'), callId: 'o' }), port);
    expect(await nextStatus(peer)).toBe(200);
    await peer.send(rawRequest({ method: 'FOO', via: via('z9hG4bKt3'), callId: 'f' }), port);
    expect(await nextStatus(peer)).toBe(501);
    expect(flat(stack.traffic.snapshot())).toEqual({
      requests: { INVITE: 2, OPTIONS: 1, OTHER: 1 },
      responses: { 'INVITE 100': 2, 'INVITE 200': 2, 'OPTIONS 200': 1, 'OTHER 501': 1 },
    });
  });
});
