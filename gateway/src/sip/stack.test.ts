import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { getHeader, type SipRequest, type SipResponse } from './message.js';
import { createResponse } from './response.js';
import { serializeMessage } from './serialize.js';
import { SipStack, type RemoteInfo, type ServerTransaction } from './stack.js';
import { rawRequest, udpPeer, type UdpPeer } from './transport/test-peers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup() {
  const stack = new SipStack({ host: '127.0.0.1', port: 0 });
  const ports = await stack.listen();
  cleanups.push(() => stack.close());
  const peer = await udpPeer();
  cleanups.push(() => peer.close());
  const txs: ServerTransaction[] = [];
  let wake: () => void = () => undefined;
  stack.onRequest = (tx) => {
    txs.push(tx);
    wake();
  };
  const nextTx = async (n: number): Promise<ServerTransaction> => {
    while (txs.length < n) await new Promise<void>((resolve) => (wake = resolve));
    const tx = txs[n - 1];
    if (tx === undefined) throw new Error('unreachable');
    return tx;
  };
  return { stack, port: ports.udpPort ?? 0, ports, peer, txs, nextTx };
}

async function response(peer: UdpPeer): Promise<SipResponse> {
  const msg = await peer.next();
  if (msg.kind !== 'response') throw new Error('expected a response');
  return msg;
}

function via(peer: UdpPeer, branch: string): string {
  return `SIP/2.0/UDP 127.0.0.1:${peer.port};branch=${branch};rport`;
}

describe('SipStack', () => {
  it('listens on one port for UDP and TCP and reports it in localAddressFor', async () => {
    const { stack, ports } = await setup();
    expect(ports.tcpPort).toBe(ports.udpPort);
    expect(stack.localAddressFor({ transport: 'udp', address: '127.0.0.1', port: 5060 })).toEqual({
      address: '127.0.0.1',
      port: ports.udpPort,
    });
  });

  it('INVITE over UDP: 100 at once, a retransmission absorbed, 486 then ACK', async () => {
    const { stack, port, peer, txs, nextTx } = await setup();
    const invite = rawRequest({ method: 'INVITE', via: via(peer, 'z9hG4bKinv1') });
    await peer.send(invite, port);
    expect((await response(peer)).status).toBe(100);
    await peer.send(invite, port);
    expect((await response(peer)).status).toBe(100);
    const tx = await nextTx(1);
    expect(tx.remote).toEqual({ transport: 'udp', address: '127.0.0.1', port: peer.port });
    tx.respond(createResponse(tx.request, 486, { toTag: 'uas' }));
    expect((await response(peer)).status).toBe(486);
    await peer.send(
      rawRequest({ method: 'ACK', via: via(peer, 'z9hG4bKinv1') }).replace('To: <sip:bob@example.com>', 'To: <sip:bob@example.com>;tag=uas'),
      port,
    );
    // An OPTIONS after the ACK: once it is delivered, the ACK (sent before it) has been processed.
    await peer.send(rawRequest({ via: via(peer, 'z9hG4bKopt'), callId: 'o' }), port);
    await nextTx(2);
    expect(txs.length).toBe(2);
    expect(tx.state).toBe('confirmed');
    expect(stack.stats.retransmissionsAbsorbed).toBe(1);
    expect(stack.stats.received).toBe(4);
  });

  it('CANCEL: 200 to the CANCEL, onCancel, then the TU answers 487; a 2xx ACK goes to onAck', async () => {
    const { stack, port, peer, nextTx } = await setup();
    await peer.send(rawRequest({ method: 'INVITE', via: via(peer, 'z9hG4bKinv2') }), port);
    expect((await response(peer)).status).toBe(100);
    const tx = await nextTx(1);
    tx.onCancel = () => tx.respond(createResponse(tx.request, 487, { toTag: 'uas' }));
    await peer.send(rawRequest({ method: 'CANCEL', via: via(peer, 'z9hG4bKinv2') }), port);
    const cancelOk = await response(peer);
    expect([cancelOk.status, getHeader(cancelOk, 'cseq')]).toEqual([200, '1 CANCEL']);
    expect((await response(peer)).status).toBe(487);

    const acks: SipRequest[] = [];
    let ackArrived: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => (ackArrived = resolve));
    stack.onAck = (ack: SipRequest, remote: RemoteInfo) => {
      acks.push(ack);
      expect(remote.port).toBe(peer.port);
      ackArrived();
    };
    await peer.send(rawRequest({ method: 'ACK', via: via(peer, 'z9hG4bKfor2xx'), callId: 'other' }), port);
    await arrived;
    expect(acks.length).toBe(1);
  });

  it('client transactions: a UDP request resolves with the peer response; stateless sends go out as given', async () => {
    const { stack, peer } = await setup();
    const local = stack.localAddressFor({ transport: 'udp', address: '127.0.0.1', port: peer.port });
    const target: RemoteInfo = { transport: 'udp', address: '127.0.0.1', port: peer.port };
    const req: SipRequest = {
      kind: 'request',
      method: 'OPTIONS',
      uri: `sip:peer@127.0.0.1:${peer.port}`,
      headers: [
        { name: 'Via', value: `SIP/2.0/UDP ${local.address}:${local.port};branch=z9hG4bKcli1;rport` },
        { name: 'Max-Forwards', value: '70' },
        { name: 'From', value: '<sip:gw@patchbay>;tag=gw1' },
        { name: 'To', value: '<sip:peer@127.0.0.1>' },
        { name: 'Call-ID', value: 'cli-1' },
        { name: 'CSeq', value: '7 OPTIONS' },
      ],
      body: Buffer.alloc(0),
    };
    const tx = stack.sendRequest(req, target);
    const got = await peer.next();
    if (got.kind !== 'request') throw new Error('expected a request');
    expect(getHeader(got, 'cseq')).toBe('7 OPTIONS');
    // The peer answers at the Via address (our listening port).
    await peer.send(serializeMessage(createResponse(got, 200, { toTag: 'p' })), local.port);
    expect((await tx.response).status).toBe(200);

    stack.sendStateless({ ...req, method: 'ACK', headers: req.headers.map((h) => (h.name === 'CSeq' ? { name: 'CSeq', value: '7 ACK' } : h)) }, target);
    const ack = await peer.next();
    expect(ack.kind === 'request' && ack.method).toBe('ACK');
  });

  it('a TCP transport error gives the TU a synthesised 503', async () => {
    const { stack } = await setup();
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const address = probe.address();
    const deadPort = typeof address === 'object' && address !== null ? address.port : 1;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const req: SipRequest = {
      kind: 'request',
      method: 'OPTIONS',
      uri: 'sip:x@127.0.0.1',
      headers: [
        { name: 'Via', value: 'SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKdead' },
        { name: 'From', value: '<sip:a@x>;tag=1' },
        { name: 'To', value: '<sip:b@x>' },
        { name: 'Call-ID', value: 'dead' },
        { name: 'CSeq', value: '1 OPTIONS' },
      ],
      body: Buffer.alloc(0),
    };
    const tx = stack.sendRequest(req, { transport: 'tcp', address: '127.0.0.1', port: deadPort });
    expect((await tx.response).status).toBe(503);
    expect(stack.stats.transactions).toBe(0);
  });

  it('close() is idempotent and ends pending client transactions with 503', async () => {
    const { stack, peer } = await setup();
    const req: SipRequest = {
      kind: 'request',
      method: 'OPTIONS',
      uri: 'sip:x@127.0.0.1',
      headers: [
        { name: 'Via', value: 'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKpend' },
        { name: 'From', value: '<sip:a@x>;tag=1' },
        { name: 'To', value: '<sip:b@x>' },
        { name: 'Call-ID', value: 'pend' },
        { name: 'CSeq', value: '1 OPTIONS' },
      ],
      body: Buffer.alloc(0),
    };
    const tx = stack.sendRequest(req, { transport: 'udp', address: '127.0.0.1', port: peer.port });
    expect(stack.stats.transactions).toBe(1);
    await Promise.all([stack.close(), stack.close()]);
    await stack.close();
    expect((await tx.response).status).toBe(503);
    expect(stack.stats.transactions).toBe(0);
  });
});
