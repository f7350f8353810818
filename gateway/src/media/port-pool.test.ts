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
      await expect(pool.allocate()).rejects.toThrow(/media\.portMin\/media\.portMax/); // the settings that widen it
    } finally {
      squatter.close();
    }
  });

  it('returns a closed pair to the pool, but never hands out the just-released pair next while others are free', async () => {
    const pool = new PortPool({ host: '127.0.0.1', portMin: 41200, portMax: 41205 }); // 3 pairs, 1 in quarantine
    let last: number | undefined;
    for (let round = 0; round < 30; round++) {
      const a = await pool.allocate();
      if (last !== undefined) expect(a.rtpPort).not.toBe(last);
      last = a.rtpPort;
      a.close();
      a.close(); // idempotent
      await new Promise((resolve) => setImmediate(resolve)); // sockets close after the current tick's sends
      expect(pool.allocated).toBe(0);
    }
  });

  it('picks pairs at random over the whole range, not in sequence', async () => {
    const pool = new PortPool({ host: '127.0.0.1', portMin: 41400, portMax: 41599 }); // 100 pairs
    const ports: number[] = [];
    for (let i = 0; i < 20; i++) {
      const p = await pool.allocate();
      held.push(p);
      ports.push(p.rtpPort);
    }
    const sequential = Array.from({ length: 20 }, (_, i) => 41400 + 2 * i);
    expect(ports).not.toEqual(sequential);
    expect([...ports].sort((a, b) => a - b)).not.toEqual(sequential);
    // All 20 in the lower half by chance: C(50,20)/C(100,20) ≈ 1e-7.
    expect(ports.some((p) => p >= 41500)).toBe(true);
    expect(new Set(ports).size).toBe(20);
  });

  it('still reports exhaustion with pairs in quarantine only once every pair is taken, and reuses them then', async () => {
    const pool = new PortPool({ host: '127.0.0.1', portMin: 41600, portMax: 41603 }); // 2 pairs, 1 in quarantine
    const a = await pool.allocate();
    const b = await pool.allocate();
    await expect(pool.allocate()).rejects.toBeInstanceOf(PortPoolExhaustedError);
    a.close();
    b.close();
    await new Promise((resolve) => setImmediate(resolve));
    const c = await pool.allocate();
    held.push(c);
    expect(c.rtpPort).toBe(a.rtpPort); // b was released last: a is the one out of quarantine
    const d = await pool.allocate(); // only the quarantined pair is left: handed out rather than refusing the call
    held.push(d);
    expect(d.rtpPort).toBe(b.rtpPort);
    await expect(pool.allocate()).rejects.toBeInstanceOf(PortPoolExhaustedError);
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
