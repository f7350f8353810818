import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { PortPool, PortPoolExhaustedError, type MediaPorts } from './port-pool.js';

const held: MediaPorts[] = [];
afterEach(() => {
  for (const p of held.splice(0)) p.close();
});

describe('PortPool', () => {
  it('hands out even RTP ports with RTCP on the next port, really bound', async () => {
    const pool = new PortPool({ host: '127.0.0.1', portMin: 41001, portMax: 41020 });
    const a = await pool.allocate();
    held.push(a);
    expect(a.rtpPort % 2).toBe(0);
    expect(a.rtcpPort).toBe(a.rtpPort + 1);
    expect(a.rtp.address().port).toBe(a.rtpPort);
    expect(a.rtcp.address().port).toBe(a.rtcpPort);
    expect(pool.allocated).toBe(1);
  });

  it('skips ports taken by someone else and reports exhaustion', async () => {
    const squatter = dgram.createSocket('udp4');
    await new Promise<void>((r) => squatter.bind(41100, '127.0.0.1', r));
    try {
      const pool = new PortPool({ host: '127.0.0.1', portMin: 41100, portMax: 41103 });
      const a = await pool.allocate();
      held.push(a);
      expect(a.rtpPort).toBe(41102);
      await expect(pool.allocate()).rejects.toBeInstanceOf(PortPoolExhaustedError);
    } finally {
      squatter.close();
    }
  });

  it('returns a closed pair to the pool but rotates before reusing it', async () => {
    const pool = new PortPool({ host: '127.0.0.1', portMin: 41200, portMax: 41205 });
    const a = await pool.allocate();
    a.close();
    a.close(); // idempotent
    await new Promise((resolve) => setImmediate(resolve)); // sockets close after the current tick's sends
    expect(pool.allocated).toBe(0);
    const b = await pool.allocate();
    held.push(b);
    expect(b.rtpPort).toBe(41202);
    const c = await pool.allocate();
    held.push(c);
    const d = await pool.allocate();
    held.push(d);
    expect([c.rtpPort, d.rtpPort].sort()).toEqual([41200, 41204]);
  });

  it('delivers a datagram sent in the same tick as close (the last packet before a hangup)', async () => {
    const pool = new PortPool({ host: '127.0.0.1', portMin: 41300, portMax: 41303 });
    const ports = await pool.allocate();
    const peer = dgram.createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', r));
    try {
      const got = new Promise<Buffer>((resolve) => peer.once('message', resolve));
      ports.rtp.send(Buffer.from('last packet'), peer.address().port, '127.0.0.1');
      ports.close();
      expect((await got).toString()).toBe('last packet');
    } finally {
      peer.close();
    }
  });
});
