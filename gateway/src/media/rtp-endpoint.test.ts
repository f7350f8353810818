import dgram from 'node:dgram';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { PortPool, type MediaPorts } from './port-pool.js';
import { PreAnswerSources } from './pre-answer-sources.js';
import { RtpEndpoint, type RtpSourceRules, type RtpTarget } from './rtp-endpoint.js';
import { serializeRtp, type RtpPacket } from './rtp/packet.js';
import { UdpPacketTransport } from './udp-packet-transport.js';

const logger = pino({ level: 'silent' });
const open: Array<{ close(): void }> = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
});

async function udp(address = '127.0.0.1'): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, address, r));
  open.push(s);
  return s;
}

const packet = (pt: number, seq: number): Uint8Array =>
  serializeRtp({ payloadType: pt, marker: false, sequenceNumber: seq, timestamp: seq * 160, ssrc: 0x1234, csrcs: [], payload: new Uint8Array(160) } satisfies RtpPacket);
/** An RTCP receiver report with no blocks (PT 201). */
const rtcpRr = (): Uint8Array => Uint8Array.from([0x80, 201, 0, 1, 0, 0, 0x12, 0x34]);

const until = async (cond: () => boolean): Promise<void> => {
  const end = performance.now() + 2000;
  while (!cond()) {
    if (performance.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

let nextRange = 42000;
async function ports(): Promise<MediaPorts> {
  const min = nextRange;
  nextRange += 10;
  const p = await new PortPool({ host: '127.0.0.1', portMin: min, portMax: min + 9 }).allocate();
  open.push(p);
  return p;
}

/** Without a NAT hold unless a test sets one (the hold has tests of its own). */
function endpoint(p: MediaPorts, target: RtpTarget, rules?: Partial<RtpSourceRules>, received: number[] = []): RtpEndpoint {
  const full: RtpSourceRules = { policy: 'signalling-ip', natHoldMs: 0, ...rules };
  const e = new RtpEndpoint(new UdpPacketTransport(p), target, new Set([0, 101]), { onRtp: (pk) => received.push(pk.sequenceNumber), onRtcp: () => undefined }, logger, full);
  open.push(e);
  return e;
}

const send = (s: dgram.Socket, p: MediaPorts, bytes: Uint8Array, port = p.rtpPort): void => s.send(bytes, port, '127.0.0.1');

describe('RtpEndpoint', () => {
  it('counts garbage, latches onto a NAT source on the SDP host, drops foreign packets and sends where it latched', async () => {
    const p = await ports();
    const received: number[] = [];
    // The SDP named a port nobody listens on (the caller's private port behind a NAT, say).
    const e = endpoint(p, { address: '127.0.0.1', rtpPort: 9, rtcpPort: 10 }, { policy: 'signalling-ip' }, received);
    const caller = await udp();
    const stranger = await udp();

    send(caller, p, Buffer.from('not rtp at all'));
    send(caller, p, packet(96, 1)); // a payload type we did not negotiate: no latch
    await until(() => e.stats.garbage === 1 && e.stats.unexpectedPayloadType === 1);
    expect(e.stats.latches).toBe(0);

    send(caller, p, packet(0, 2));
    await until(() => received.length === 1);
    expect(e.destination).toEqual({ address: '127.0.0.1', port: caller.address().port });
    send(stranger, p, packet(0, 3));
    send(caller, p, packet(0, 4));
    await until(() => received.length === 2 && e.stats.foreign === 1);
    expect(received).toEqual([2, 4]);
    expect(e.stats.rejectedSources).toBe(1);

    const heard = new Promise<Buffer>((r) => caller.once('message', r));
    e.sendRtp(packet(0, 77));
    expect((await heard).readUInt16BE(2)).toBe(77); // our RTP goes to the latched source, not the SDP port

    // A re-INVITE that changes nothing keeps the latch.
    e.retarget({ address: '127.0.0.1', rtpPort: 9, rtcpPort: 10 }, new Set([0]));
    expect(e.destination.port).toBe(caller.address().port);

    // One that moves the media re-opens latching, but a source refused before stays refused.
    const moved = await udp();
    e.retarget({ address: '127.0.0.1', rtpPort: moved.address().port, rtcpPort: 0 }, new Set([8]));
    send(stranger, p, packet(8, 5));
    await until(() => e.stats.foreign === 2);
    send(moved, p, packet(8, 6));
    await until(() => received.length === 3);
    expect(received[2]).toBe(6);
    expect(e.stats.latches).toBe(2);
  });

  it('strict: only the SDP address and port, never another port of the same host', async () => {
    const p = await ports();
    const received: number[] = [];
    const caller = await udp();
    const sameHost = await udp();
    const e = endpoint(p, { address: '127.0.0.1', rtpPort: caller.address().port, rtcpPort: 9 }, { policy: 'strict', signallingAddress: '127.0.0.1' }, received);
    send(sameHost, p, packet(0, 1));
    await until(() => e.stats.foreign === 1);
    send(caller, p, packet(0, 2));
    await until(() => received.length === 1);
    expect(received).toEqual([2]);
    expect(e.destination).toEqual({ address: '127.0.0.1', port: caller.address().port });
  });

  it('signalling-ip: a source on the SIP signalling host latches; one elsewhere does not', async () => {
    const p = await ports();
    const received: number[] = [];
    const attacker = await udp('127.0.0.2');
    const behindNat = await udp('127.0.0.3');
    // The SDP names a private address we cannot reach; the INVITE came from 127.0.0.3.
    const e = endpoint(p, { address: '10.9.8.7', rtpPort: 4000, rtcpPort: 4001 }, { policy: 'signalling-ip', signallingAddress: '127.0.0.3' }, received);
    send(attacker, p, packet(0, 1));
    await until(() => e.stats.foreign === 1);
    expect(e.stats.latches).toBe(0);
    expect(e.destination).toEqual({ address: '10.9.8.7', port: 4000 });
    send(behindNat, p, packet(0, 2));
    await until(() => received.length === 1);
    expect(e.destination).toEqual({ address: '127.0.0.3', port: behindNat.address().port });
  });

  it('the exact SDP address takes the latch over from a NAT latch within the window', async () => {
    const p = await ports();
    const received: number[] = [];
    const stray = await udp();
    const caller = await udp();
    const e = endpoint(p, { address: '127.0.0.1', rtpPort: caller.address().port, rtcpPort: 9 }, { policy: 'signalling-ip', signallingAddress: '127.0.0.1' }, received);
    send(stray, p, packet(0, 1)); // the caller's host, another port: latches (NAT)
    await until(() => received.length === 1);
    send(caller, p, packet(0, 2));
    await until(() => received.length === 2);
    send(stray, p, packet(0, 3));
    await until(() => e.stats.foreign === 1);
    expect(e.destination).toEqual({ address: '127.0.0.1', port: caller.address().port });
    expect(e.stats.latches).toBe(2);
  });

  it('a NAT source latches only after the hold, and the exact SDP source latches at once', async () => {
    const p = await ports();
    const received: number[] = [];
    const nat = await udp();
    const caller = await udp();
    const e = endpoint(p, { address: '127.0.0.1', rtpPort: caller.address().port, rtcpPort: 9 }, { signallingAddress: '127.0.0.1', natHoldMs: 150 }, received);
    send(nat, p, packet(0, 1)); // within the hold: dropped, not latched, not refused
    await until(() => e.stats.foreign === 1);
    expect(e.stats.latches).toBe(0);
    expect(e.stats.rejectedSources).toBe(0);
    send(caller, p, packet(0, 2)); // the SDP's own source: at once
    await until(() => received.length === 1);
    expect(e.destination).toEqual({ address: '127.0.0.1', port: caller.address().port });
  });

  it('after the hold a lone NAT source latches; several compete and none latches', async () => {
    const p = await ports();
    const received: number[] = [];
    const nat = await udp();
    const e = endpoint(p, { address: '127.0.0.1', rtpPort: 9, rtcpPort: 10 }, { signallingAddress: '127.0.0.1', natHoldMs: 30 }, received);
    send(nat, p, packet(0, 1));
    await until(() => e.stats.foreign === 1);
    await new Promise((r) => setTimeout(r, 40)); // past the hold (a real-time rule of the endpoint)
    send(nat, p, packet(0, 2));
    await until(() => received.length === 1);
    expect(e.destination).toEqual({ address: '127.0.0.1', port: nat.address().port });

    const p2 = await ports();
    const received2: number[] = [];
    const oldA = await udp();
    const oldB = await udp();
    const e2 = endpoint(p2, { address: '127.0.0.1', rtpPort: 9, rtcpPort: 10 }, { signallingAddress: '127.0.0.1', natHoldMs: 30 }, received2);
    send(oldA, p2, packet(0, 1));
    send(oldB, p2, packet(0, 1));
    await until(() => e2.stats.foreign === 2);
    await new Promise((r) => setTimeout(r, 40));
    send(oldA, p2, packet(0, 2));
    send(oldB, p2, packet(0, 2));
    await until(() => e2.stats.foreign === 4);
    expect(e2.stats.latches).toBe(0);
    expect(received2).toEqual([]);
  });

  it('any: the first valid source latches, wherever it is', async () => {
    const p = await ports();
    const received: number[] = [];
    const elsewhere = await udp('127.0.0.2');
    const e = endpoint(p, { address: '10.9.8.7', rtpPort: 4000, rtcpPort: 4001 }, { policy: 'any', signallingAddress: '127.0.0.3' }, received);
    send(elsewhere, p, packet(0, 1));
    await until(() => received.length === 1);
    expect(e.destination.address).toBe('127.0.0.2');
  });

  it('never latches onto a source that was sending before the answer, whatever the policy', async () => {
    for (const policy of ['any', 'signalling-ip'] as const) {
      const p = await ports();
      const early = new PreAnswerSources(p);
      const stale = await udp();
      send(stale, p, packet(0, 1)); // e.g. an old call's RTP, still flowing to this port
      await until(() => early.count === 1);
      early.answered();
      const caller = await udp();
      send(caller, p, packet(0, 2)); // after the answer, before the media started (a late offer's ACK is on its way)
      await until(() => early.count === 2);
      early.stop();
      const received: number[] = [];
      const e = endpoint(p, { address: '127.0.0.1', rtpPort: 9, rtcpPort: 10 }, { policy, signallingAddress: '127.0.0.1', preAnswer: early }, received);
      send(stale, p, packet(0, 3));
      await until(() => e.stats.foreign === 1);
      expect(e.stats.latches).toBe(0);
      send(caller, p, packet(0, 4));
      await until(() => received.length === 1);
      expect(e.destination.port).toBe(caller.address().port);
    }
  });

  it('after the latch window only the exact SDP address latches', async () => {
    const p = await ports();
    const received: number[] = [];
    const nat = await udp();
    const sdp = await udp();
    const e = endpoint(p, { address: '127.0.0.1', rtpPort: sdp.address().port, rtcpPort: 9 }, { policy: 'any', latchWindowMs: 0 }, received);
    send(nat, p, packet(0, 1)); // arrives after the (0 ms) window closed
    await until(() => e.stats.foreign === 1);
    send(sdp, p, packet(0, 2));
    await until(() => received.length === 1);
    expect(e.stats.latches).toBe(1);
  });

  it('takes RTCP only from the latched address or the SDP RTCP address, and sends it there', async () => {
    const p = await ports();
    const caller = await udp();
    const callerRtcp = await udp();
    const attacker = await udp('127.0.0.2');
    const e = endpoint(p, { address: '127.0.0.5', rtpPort: 9, rtcpPort: 10 }, { policy: 'signalling-ip', signallingAddress: '127.0.0.1' });
    send(callerRtcp, p, rtcpRr(), p.rtcpPort); // before any RTP latched, not from the SDP host: refused
    await until(() => e.stats.foreign === 1);
    send(caller, p, packet(0, 1));
    await until(() => e.stats.latches === 1);
    send(attacker, p, rtcpRr(), p.rtcpPort);
    send(attacker, p, rtcpRr()); // muxed on the RTP port
    send(callerRtcp, p, rtcpRr(), p.rtcpPort); // the latched host, its RTCP port
    await until(() => e.stats.rtcpReceived === 1 && e.stats.foreign === 3);
    const heard = new Promise<Buffer>((r) => callerRtcp.once('message', r));
    e.sendRtcp(rtcpRr());
    expect((await heard)[1]).toBe(201);
  });

  it('never throws out of a send to an impossible port: counts it instead', async () => {
    const p = await ports();
    const e = endpoint(p, { address: '127.0.0.1', rtpPort: 65_536, rtcpPort: 65_536 });
    expect(() => {
      e.sendRtp(packet(0, 1));
      e.sendRtcp(rtcpRr());
    }).not.toThrow();
    expect(e.stats.sendErrors).toBe(2);
  });
});
