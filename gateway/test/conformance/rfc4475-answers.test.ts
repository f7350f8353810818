/**
 * The gateway's answers to the 49 RFC 4475 torture messages, sent as they are (no rewriting) to a running gateway
 * over UDP, over TCP and over TLS (node's tls.connect, verifying the gateway's certificate against a test CA: SIPp
 * here is built without TLS), with an OPTIONS health check after each. TLS answers as TCP does: both are streams. The default number route (`*` → demo agent)
 * answers every well-formed INVITE, so valid INVITEs exercise admission, SDP and media, and are then ACKed and
 * hung up with BYE.
 *
 * Responses to UDP requests go where the top Via says (RFC 3261 §18.2.2): the received address (our source,
 * 127.0.0.3) and the Via's port (5060 when none). The messages carry no rport, so each is sent from a socket bound
 * to 127.0.0.3 on that port.
 */
import dgram from 'node:dgram';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeTestPki, type TestPki } from '../support/certs.js';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { header, parseSip, type SipMessage } from '../helpers/sip-text.js';
import { streamSipPeer } from '../helpers/stream-peer.js';
import { TORTURE_MESSAGES, type TortureMessage } from './rfc4475-messages.js';

const SOURCE = '127.0.0.3';

/**
 * Final statuses expected for each message, per RFC 4475 and RFC 3261 (for the gateway as a UAS that allows
 * INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, NOTIFY). `tcp` when the stream changes the answer.
 */
const EXPECTED: Readonly<Record<string, { udp: number[]; tcp?: number[] }>> = {
  // A To tag names a dialog that does not exist: 481 (RFC 3261 §12.2.2); the message itself is valid.
  wsinv: { udp: [481] },
  // An unknown method: 501 (RFC 3261 §21.5.2; 405 is for methods recognised but not allowed).
  intmeth: { udp: [501] },
  esc01: { udp: [200] },
  // REGISTER is recognised but not supported by a gateway: 405 with Allow (RFC 3261 §8.2.1).
  escnull: { udp: [405] },
  // `RE%47IST%45R` is a method of its own (escapes do not apply to tokens), unknown: 501.
  esc02: { udp: [501] },
  lwsdisp: { udp: [200] },
  // The top Via has no branch (RFC 2543 transaction matching): still answered.
  longreq: { udp: [200] },
  // UDP: the INVITE after the REGISTER's Content-Length is noise to ignore (RFC 3261 §18.3). TCP: it is the next
  // message on the stream, and every framed request is answered: its SDP (`m =video`) is malformed, 400.
  dblreq: { udp: [405], tcp: [405, 400] },
  semiuri: { udp: [200] },
  transports: { udp: [200] },
  mpart01: { udp: [405] }, // MESSAGE is not supported
  unreason: { udp: [] }, // responses matching no transaction are dropped (RFC 3261 §18.1.2)
  noreason: { udp: [] },
  // The top Via does not parse: 400, sent back to the source since the Via cannot say where.
  badinv01: { udp: [400] },
  // UDP: Content-Length beyond the datagram, 400 (RFC 3261 §18.3). TCP: the stream waits for the 9,999 octets
  // (nothing to answer yet); the incomplete-message timeout closes it.
  clerr: { udp: [400], tcp: [] },
  // TCP: a negative Content-Length leaves no way to find the next message; the connection is closed unanswered.
  ncl: { udp: [400], tcp: [] },
  scalar02: { udp: [400] }, // CSeq 2**65 (RFC 3261 §8.1.1.5 bounds it below 2**31)
  scalarlg: { udp: [] }, // a response
  quotbal: { udp: [400] },
  ltgtruri: { udp: [400] },
  lwsruri: { udp: [400] },
  lwsstart: { udp: [200] }, // extra SP in the Request-Line is tolerated (RFC 4475 §3.1.2.9)
  trws: { udp: [200] },
  escruri: { udp: [400] },
  baddate: { udp: [200] }, // an unusable Date is not used, so the INVITE is processed
  regbadct: { udp: [405] }, // REGISTER: refused by method before its Contact matters
  badaspec: { udp: [400] },
  baddn: { udp: [400] },
  badvers: { udp: [505] },
  mismatch01: { udp: [400] },
  mismatch02: { udp: [400] },
  bigcode: { udp: [] }, // a response
  badbranch: { udp: [200] }, // a branch of just the magic cookie is still a branch
  insuf: { udp: [400] }, // no Call-ID, From, To: the 400 carries Via and CSeq, enough to match it

  unkscm: { udp: [416] },
  novelsc: { udp: [416] },
  unksm2: { udp: [405] },
  bext01: { udp: [420] },
  invut: { udp: [415] },
  regaut01: { udp: [405] },
  multi01: { udp: [400] },
  // TCP: two different Content-Lengths leave no way to frame the stream (RFC 3261 §18.3): closed unanswered.
  mcl01: { udp: [400], tcp: [] },
  bcast: { udp: [] }, // a response
  zeromf: { udp: [200] }, // Max-Forwards 0 at a UAS: processed (RFC 4475 §3.3.11)
  cparam01: { udp: [405] },
  cparam02: { udp: [405] },
  regescrt: { udp: [405] },
  sdp01: { udp: [406] }, // Accept excludes application/sdp, the only answer we can give
  // RFC 2543 INVITE: no branch, no Max-Forwards, no Content-Length (fine on UDP), and no Contact. RFC 4475 §3.4.1
  // leaves accepting it to elements that want 2543 compatibility; the gateway needs a remote target to send its
  // BYE to, and RFC 3261 §8.1.1.8 makes Contact mandatory in an INVITE: 400 (Missing Contact). On TCP
  // Content-Length is mandatory (RFC 3261 §18.3, §20.14): unframable, closed unanswered.
  inv2543: { udp: [400], tcp: [] },
};

/** The gateway under test: one per transport, since a message's branch names the same transaction on both. */
let gw: TestGateway;

function text(m: TortureMessage): string {
  return m.bytes.toString('latin1');
}

/** The torture message's Call-ID(s), so its answers can be told from the health check's. */
function callIds(m: TortureMessage): string[] {
  const unfolded = text(m).replace(/\r\n[ \t]+/g, ' ');
  return [...unfolded.matchAll(/^(?:call-id|i)[ \t]*:[ \t]*(\S+)/gim)].map((x) => x[1] ?? '');
}

/** The port of the top Via's sent-by (5060 when it has none). */
function viaPort(m: TortureMessage): number {
  const unfolded = text(m).replace(/\r\n[ \t]+/g, ' ');
  const via = /^(?:via|v)[ \t]*:[ \t]*SIP[ \t]*\/[ \t]*[0-9.]+[ \t]*\/[ \t]*\S+[ \t]+[^\s;:,]+(?::([0-9]+))?/im.exec(unfolded);
  return Number(via?.[1] ?? 5060);
}

interface Peer {
  readonly received: SipMessage[];
  send(data: string | Buffer): void;
  /** Via for our own requests on this peer. */
  readonly via: string;
  close(): void;
}

async function udpPeer(port: number): Promise<Peer> {
  const socket = dgram.createSocket('udp4');
  const received: SipMessage[] = [];
  socket.on('message', (buf) => {
    const m = parseSip(buf.toString('latin1'));
    if (m) received.push(m);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, SOURCE, () => resolve());
  });
  return {
    received,
    send: (data) => socket.send(typeof data === 'string' ? Buffer.from(data) : data, gw.sipPort, gw.host),
    via: `SIP/2.0/UDP ${SOURCE}:${port};rport`,
    close: () => socket.close(),
  };
}

async function tcpPeer(): Promise<Peer> {
  const peer = await streamSipPeer(gw.host, gw.sipPort);
  return { ...peer, via: `SIP/2.0/TCP 127.0.0.1:${peer.localPort}` };
}

/** A TLS connection to the gateway's TLS port, the gateway's certificate verified against the test CA. */
async function tlsPeer(): Promise<Peer> {
  const port = gw.gateway.tlsPort;
  if (port === undefined) throw new Error('the gateway has no TLS port');
  const peer = await streamSipPeer(gw.host, port, { ca: pki.read(pki.caCert) });
  return { ...peer, via: `SIP/2.0/TLS 127.0.0.1:${peer.localPort}` };
}

type Transport = 'udp' | 'tcp' | 'tls';

async function peerFor(m: TortureMessage, transport: Transport): Promise<Peer> {
  if (transport === 'udp') return udpPeer(viaPort(m));
  return transport === 'tcp' ? tcpPeer() : tlsPeer();
}

let seq = 0;
function request(method: string, uri: string, peer: Peer, fields: { from: string; to: string; callId: string; cseq: string }): string {
  return [
    `${method} ${uri} SIP/2.0`,
    `Via: ${peer.via};branch=z9hG4bK-t${++seq}`,
    'Max-Forwards: 70',
    `From: ${fields.from}`,
    `To: ${fields.to}`,
    `Call-ID: ${fields.callId}`,
    `CSeq: ${fields.cseq}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** Final answers to the torture request(s): one per CSeq (a retransmitted 200 counts once; our BYE's does not). */
function finals(peer: Peer, ids: readonly string[]): SipMessage[] {
  const seen = new Map<string, SipMessage>();
  for (const m of peer.received) {
    const cseq = header(m, 'cseq') ?? '';
    const callId = header(m, 'call-id');
    const ours = ids.length === 0 ? callId === undefined : ids.includes(callId ?? ''); // insuf has no Call-ID
    if ((m.status ?? 0) < 200 || !ours || / BYE$/.test(cseq)) continue;
    if (!seen.has(cseq)) seen.set(cseq, m);
  }
  return [...seen.values()];
}

/** ACK and BYE for a call the gateway answered, on the peer it answered on; resolves when the BYE gets 200. */
async function hangUp(peer: Peer, ok: SipMessage): Promise<void> {
  const contact = /<([^>]+)>/.exec(header(ok, 'contact') ?? '')?.[1] ?? `sip:patchbay@${gw.host}:${gw.sipPort}`;
  const fields = { from: header(ok, 'from') ?? '', to: header(ok, 'to') ?? '', callId: header(ok, 'call-id') ?? '' };
  const n = Number((header(ok, 'cseq') ?? '1').split(/\s+/)[0]);
  peer.send(request('ACK', contact, peer, { ...fields, cseq: `${n} ACK` }));
  peer.send(request('BYE', contact, peer, { ...fields, cseq: `${n + 1} BYE` }));
  await waitFor(
    () => peer.received.some((m) => m.status === 200 && header(m, 'cseq') === `${n + 1} BYE` && header(m, 'call-id') === fields.callId),
    5_000,
    () => `no 200 for the BYE of ${fields.callId}`,
  );
}

/** OPTIONS from `peer`; resolves once it is answered 200. */
async function healthy(peer: Peer): Promise<void> {
  const callId = `health-${++seq}`;
  peer.send(request('OPTIONS', `sip:health@${gw.host}`, peer, { from: '<sip:probe@example.com>;tag=h', to: '<sip:health@example.com>', callId, cseq: '1 OPTIONS' }));
  await waitFor(() => peer.received.some((m) => m.status === 200 && header(m, 'call-id') === callId), 5_000, () => `health OPTIONS ${callId} unanswered`);
}

async function answers(m: TortureMessage, transport: Transport, expected: readonly number[]): Promise<number[]> {
  const ids = callIds(m);
  const peer = await peerFor(m, transport);
  try {
    peer.send(m.bytes);
    await waitFor(() => finals(peer, ids).length >= expected.length, 5_000, () => `${m.name}: finals ${finals(peer, ids).map((r) => r.status).join(',')}`);
    for (const ok of finals(peer, ids)) if (ok.status === 200 && header(ok, 'cseq')?.endsWith('INVITE')) await hangUp(peer, ok);
    // The health check goes after: an answer the message should not get would have come before it (loopback
    // keeps order; on TCP a fresh connection, since the torture one may be closed or stuck mid-message).
    const health = transport === 'udp' ? peer : await peerFor(m, transport);
    try {
      await healthy(health);
    } finally {
      if (health !== peer) health.close();
    }
    if (process.env['RFC4475_DEBUG']) console.log(m.name, transport, finals(peer, ids).map((r) => r.firstLine));
    return finals(peer, ids).map((r) => r.status ?? 0);
  } finally {
    peer.close();
  }
}

describe('RFC 4475 torture messages: the gateway answers', () => {
  it('self-check: the table covers the 49 messages, and Content-Length matches the body where the RFC means it to', () => {
    expect(TORTURE_MESSAGES).toHaveLength(49);
    expect(Object.keys(EXPECTED).sort()).toEqual(TORTURE_MESSAGES.map((m) => m.name).sort());
    for (const m of TORTURE_MESSAGES) {
      if (m.lengthMismatch) continue;
      const t = text(m);
      const split = t.indexOf('\r\n\r\n');
      const cl = /^(?:content-length|l)[ \t]*:[ \t]*([0-9]+)/im.exec(t.slice(0, split));
      if (cl === null) continue; // inv2543 has none
      expect({ name: m.name, length: Buffer.byteLength(t.slice(split + 4), 'latin1') }).toEqual({ name: m.name, length: Number(cl[1]) });
    }
  });

});

let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki();
});
afterAll(() => pki.remove());

for (const transport of ['udp', 'tcp', 'tls'] as const) {
  describe(`RFC 4475 torture messages over ${transport.toUpperCase()}`, () => {
    // A gateway per message: many messages reuse a branch (`z9hG4bKkdjuw`) and sent-by, which RFC 3261 §17.2.3
    // matching rightly takes for a retransmission of the earlier one's transaction.
    beforeEach(async () => {
      const tlsListener = transport === 'tls' ? { tls: { port: 0, certFile: pki.serverCert, keyFile: pki.serverKey } } : {};
      gw = await startTestGateway({ sip: { tcpLimits: { incompleteMessageTimeoutMs: 1_000 }, ...tlsListener } });
    });
    afterEach(async () => {
      await gw.waitForIdle(10_000); // every answered call was hung up and released
      await gw.close();
    });

    for (const m of TORTURE_MESSAGES) {
      const table = EXPECTED[m.name] ?? { udp: [-1] };
      const expected = transport === 'udp' ? table.udp : (table.tcp ?? table.udp); // TLS is a stream, as TCP
      it(`${m.name} (§${m.section}): ${expected.join(', ') || 'no answer'}`, async () => {
        expect(await answers(m, transport, expected)).toEqual(expected);
      });
    }
  });
}
