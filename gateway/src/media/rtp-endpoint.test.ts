import dgram from 'node:dgram';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { PortPool, type MediaPorts } from './port-pool.js';
import { RtpEndpoint } from './rtp-endpoint.js';
import { serializeRtp, type RtpPacket } from './rtp/packet.js';

const logger = pino({ level: 'silent' });
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

const packet = (pt: number, seq: number): Uint8Array =>
  serializeRtp({ payloadType: pt, marker: false, sequenceNumber: seq, timestamp: seq * 160, ssrc: 0x1234, csrcs: [], payload: new Uint8Array(160) } satisfies RtpPacket);

const until = async (cond: () => boolean): Promise<void> => {
  const end = performance.now() + 2000;
  while (!cond()) {
    if (performance.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('RtpEndpoint', () => {
  it('counts garbage, latches onto the first valid source (NAT), drops foreign packets and sends where it latched', async () => {
    const ports: MediaPorts = await new PortPool({ host: '127.0.0.1', portMin: 42000, portMax: 42099 }).allocate();
    open.push(ports);
    const received: number[] = [];
    // The SDP named a port nobody listens on (a private address behind NAT, say).
    const endpoint = new RtpEndpoint(ports, { address: '127.0.0.1', rtpPort: 9, rtcpPort: 10 }, new Set([0, 101]), {
      onRtp: (p) => received.push(p.sequenceNumber),
      onRtcp: () => undefined,
    }, logger);
    open.push(endpoint);
    const caller = await udp();
    const stranger = await udp();
    const send = (s: dgram.Socket, bytes: Uint8Array): void => s.send(bytes, ports.rtpPort, '127.0.0.1');

    send(caller, Buffer.from('not rtp at all'));
    send(caller, packet(96, 1)); // a payload type we did not negotiate: no latch
    await until(() => endpoint.stats.garbage === 1 && endpoint.stats.unexpectedPayloadType === 1);
    expect(endpoint.stats.latches).toBe(0);

    send(caller, packet(0, 2));
    await until(() => received.length === 1);
    expect(endpoint.destination).toEqual({ address: '127.0.0.1', port: caller.address().port });
    send(stranger, packet(0, 3));
    send(caller, packet(0, 4));
    await until(() => received.length === 2 && endpoint.stats.foreign === 1);
    expect(received).toEqual([2, 4]);

    const heard = new Promise<Buffer>((r) => caller.once('message', r));
    endpoint.sendRtp(packet(0, 77));
    expect((await heard).readUInt16BE(2)).toBe(77); // our RTP goes to the latched source, not the SDP port

    endpoint.retarget({ address: '127.0.0.1', rtpPort: stranger.address().port, rtcpPort: 0 }, new Set([8]));
    send(stranger, packet(8, 5));
    await until(() => received.length === 3);
    expect(endpoint.stats.latches).toBe(2);
  });
});
