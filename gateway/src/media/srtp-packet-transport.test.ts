/**
 * SRTP under RtpEndpoint, over real loopback sockets: packets that do not authenticate are counted and dropped before
 * the endpoint, so they never latch it nor reach its handlers; what leaves is protected. With a fake SrtpSession (the
 * seam's contract) and with the real library (keys from both sides of an SDES exchange).
 */
import dgram from 'node:dgram';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { PortPool, type MediaPorts } from './port-pool.js';
import { RtpEndpoint } from './rtp-endpoint.js';
import { parseRtp, serializeRtp, type RtpPacket } from './rtp/packet.js';
import { noSrtpFailures, SrtpPacketTransport } from './srtp-packet-transport.js';
import { createSrtpSession, SRTP_SUITES, type SrtpKeyMaterial, type SrtpSession, type SrtpSuite, type Unprotected } from './srtp/index.js';
import { UdpPacketTransport } from './udp-packet-transport.js';

const open: Array<{ close(): void }> = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
});

async function udp(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  open.push(s);
  return s;
}

let nextRange = 43000;
async function ports(): Promise<MediaPorts> {
  const min = nextRange;
  nextRange += 10;
  const p = await new PortPool({ host: '127.0.0.1', portMin: min, portMax: min + 9 }).allocate();
  open.push(p);
  return p;
}

const rtp = (seq: number, fill = 0x55): Uint8Array =>
  serializeRtp({ payloadType: 0, marker: false, sequenceNumber: seq, timestamp: seq * 160, ssrc: 0xcafe, csrcs: [], payload: new Uint8Array(160).fill(fill) } satisfies RtpPacket);
const rtcpRr = (): Uint8Array => Uint8Array.from([0x80, 201, 0, 1, 0, 0, 0xca, 0xfe]);

const until = async (cond: () => boolean, what: string): Promise<void> => {
  const end = performance.now() + 3000;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** A stand-in session: "protects" by appending a 2-byte tag of its key, refuses anything else as `auth`. */
class FakeSession implements SrtpSession {
  readonly suite = 'AES_CM_128_HMAC_SHA1_80' as const;
  constructor(private readonly key: number) {}
  protectRtp(p: Uint8Array): Buffer {
    return Buffer.concat([p, Buffer.from([0xee, this.key])]);
  }
  protectRtcp(p: Uint8Array): Buffer {
    return Buffer.concat([p, Buffer.from([0xcc, this.key])]);
  }
  unprotectRtp(p: Uint8Array): Unprotected {
    return this.check(p, 0xee);
  }
  unprotectRtcp(p: Uint8Array): Unprotected {
    return this.check(p, 0xcc);
  }
  private check(p: Uint8Array, kind: number): Unprotected {
    if (p.length < 10) return { ok: false, failure: 'malformed' };
    if (p[p.length - 2] !== kind || p[p.length - 1] !== this.key) return { ok: false, failure: 'auth' };
    return { ok: true, packet: Buffer.from(p.subarray(0, p.length - 2)) };
  }
}

interface Rig {
  peer: dgram.Socket;
  p: MediaPorts;
  srtp: SrtpPacketTransport;
  endpoint: RtpEndpoint;
  received: RtpPacket[];
  rtcp: Uint8Array[];
  heard: Buffer[];
  warnings: string[];
  totals: ReturnType<typeof noSrtpFailures>;
}

async function rig(session: SrtpSession): Promise<Rig> {
  const p = await ports();
  const peer = await udp();
  const heard: Buffer[] = [];
  peer.on('message', (m) => heard.push(m));
  const warnings: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
  const totals = noSrtpFailures();
  const srtp = new SrtpPacketTransport(new UdpPacketTransport(p), session, { logger, totals });
  const received: RtpPacket[] = [];
  const rtcp: Uint8Array[] = [];
  const { port } = peer.address();
  const endpoint = new RtpEndpoint(srtp, { address: '127.0.0.1', rtpPort: port, rtcpPort: port }, new Set([0]), { onRtp: (pk) => received.push(pk), onRtcp: (b) => rtcp.push(b) }, logger, { policy: 'any', natHoldMs: 0 });
  open.push(endpoint);
  return { peer, p, srtp, endpoint, received, rtcp, heard, warnings, totals };
}

describe('SrtpPacketTransport (fake session)', () => {
  it('hands up only packets that authenticate; refusals are counted, logged once, and never latch', async () => {
    const r = await rig(new FakeSession(7));
    const wrong = new FakeSession(8);
    for (let seq = 1; seq <= 5; seq++) r.peer.send(wrong.protectRtp(rtp(seq)), r.p.rtpPort, '127.0.0.1');
    r.peer.send(Uint8Array.from([0x80, 0, 0, 1]), r.p.rtpPort, '127.0.0.1');
    await until(() => r.srtp.failures.auth + r.srtp.failures.malformed === 6, 'the refusals');
    expect(r.received).toHaveLength(0);
    expect(r.endpoint.stats.latches).toBe(0);
    expect(r.endpoint.stats.received + r.endpoint.stats.garbage + r.endpoint.stats.foreign).toBe(0);
    expect(r.srtp.failures).toEqual({ auth: 5, replay: 0, malformed: 1 });
    expect(r.totals).toEqual({ auth: 5, replay: 0, malformed: 1 });
    expect(r.warnings.filter((l) => l.includes('SRTP authentication failed'))).toHaveLength(1);

    const right = new FakeSession(7);
    r.peer.send(right.protectRtp(rtp(6)), r.p.rtpPort, '127.0.0.1');
    r.peer.send(right.protectRtcp(rtcpRr()), r.p.rtpPort, '127.0.0.1'); // muxed SRTCP on the RTP port
    r.peer.send(right.protectRtcp(rtcpRr()), r.p.rtcpPort, '127.0.0.1');
    await until(() => r.received.length === 1 && r.rtcp.length === 2, 'the authentic packets');
    expect(r.received[0]?.sequenceNumber).toBe(6);
    expect(r.srtp.unprotected).toBe(3);
    expect(r.endpoint.stats.latches).toBe(1);
    expect(Buffer.from(r.rtcp[0] ?? [])).toEqual(Buffer.from(rtcpRr()));
  });

  it('protects what it sends (RTP as RTP, RTCP as RTCP), and follows a rekey', async () => {
    const r = await rig(new FakeSession(7));
    r.endpoint.sendRtp(rtp(1));
    r.endpoint.sendRtcp(rtcpRr());
    await until(() => r.heard.length === 2, 'our packets');
    const tails = r.heard.map((m) => [m[m.length - 2], m[m.length - 1]]).sort();
    expect(tails).toEqual([[0xcc, 7], [0xee, 7]]);
    r.srtp.rekey(new FakeSession(9));
    r.endpoint.sendRtp(rtp(2));
    await until(() => r.heard.length === 3, 'the rekeyed packet');
    expect(r.heard[2]?.subarray(-2)).toEqual(Buffer.from([0xee, 9]));
  });
});

function material(suite: SrtpSuite, fill: number): SrtpKeyMaterial {
  const info = SRTP_SUITES[suite];
  return { suite, masterKey: Buffer.alloc(info.keyLength, fill), masterSalt: Buffer.alloc(info.saltLength, fill ^ 0x5a) };
}

describe.each(['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32', 'AEAD_AES_128_GCM'] as const)('SrtpPacketTransport (the library, %s)', (suite) => {
  it('plays the peer with the right key; a wrong key gets nowhere and is counted as auth', async () => {
    const ours = material(suite, 0x11);
    const theirs = material(suite, 0x22);
    const r = await rig(createSrtpSession({ local: ours, remote: theirs }));
    const peer = createSrtpSession({ local: theirs, remote: ours });
    const impostor = createSrtpSession({ local: material(suite, 0x33), remote: ours });

    for (let seq = 1; seq <= 10; seq++) r.peer.send(impostor.protectRtp(rtp(seq, 0x7f)), r.p.rtpPort, '127.0.0.1');
    await until(() => r.srtp.failures.auth === 10, 'ten auth failures');
    expect(r.received).toHaveLength(0);
    expect(r.endpoint.stats.latches).toBe(0);

    for (let seq = 100; seq < 105; seq++) r.peer.send(peer.protectRtp(rtp(seq)), r.p.rtpPort, '127.0.0.1');
    await until(() => r.received.length === 5, 'the peer');
    expect(r.received.map((p) => p.sequenceNumber)).toEqual([100, 101, 102, 103, 104]);
    expect(Buffer.from(r.received[0]?.payload ?? [])).toEqual(Buffer.alloc(160, 0x55));

    const replayed = peer.protectRtp(rtp(105));
    r.peer.send(replayed, r.p.rtpPort, '127.0.0.1');
    r.peer.send(replayed, r.p.rtpPort, '127.0.0.1');
    await until(() => r.srtp.failures.replay === 1, 'the replay refused');
    expect(r.received).toHaveLength(6);

    r.endpoint.sendRtp(rtp(1));
    await until(() => r.heard.length === 1, 'our packet');
    const back = peer.unprotectRtp(r.heard[0] ?? Buffer.alloc(0));
    if (!back.ok) throw new Error(`our packet did not unprotect at the peer: ${back.failure}`);
    expect(parseRtp(back.packet)?.sequenceNumber).toBe(1);
    expect(r.heard[0]?.length).toBe(back.packet.length + SRTP_SUITES[suite].tagLength);
  });
});
