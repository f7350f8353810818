import { describe, expect, it } from 'vitest';
import { prng } from '../../../test/helpers/prng.js';
import { isRtcp } from './packet.js';
import { buildReceiverReport, buildSenderReport, ntpFromUnixMs, ntpMiddle32, parseRtcp, ReceptionStats, type ReportBlock } from './rtcp.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

const block: ReportBlock = {
  ssrc: 0xdee0ee8f,
  fractionLost: 42,
  cumulativeLost: -3,
  highestSeq: 0x1_0005,
  jitter: 4,
  lastSr: 0x56789abc,
  delaySinceLastSr: 32768,
};

describe('RTCP build and parse', () => {
  it('builds RR + SDES CNAME with the exact RFC 3550 layout', () => {
    const bytes = buildReceiverReport({ ssrc: 0x01020304, reports: [block], cname: 'pb' });
    expect(bytes).toEqual(
      hex(`
        81 c9 0007 01020304
        dee0ee8f 2a fffffd 00010005 00000004 56789abc 00008000
        81 ca 0003 01020304 01 02 7062 00000000`), // item, then a null and padding to 32 bits
    );
    expect(isRtcp(bytes)).toBe(true);
    expect(parseRtcp(bytes)).toEqual([
      { type: 'rr', ssrc: 0x01020304, reports: [block] },
      { type: 'sdes', chunks: [{ ssrc: 0x01020304, cname: 'pb' }] },
    ]);
  });

  it('round-trips SR + SDES + BYE with a reason', () => {
    const ntp = { seconds: 0xe8a1b2c3, fraction: 0x80000000 };
    const bytes = buildSenderReport({
      ssrc: 7,
      ntp,
      rtpTimestamp: 0xfffffff0,
      packetCount: 1000,
      octetCount: 160_000,
      reports: [block, { ...block, ssrc: 9, cumulativeLost: 0x7fffff }],
      cname: 'patchbay@gateway.example',
      bye: { reason: 'hangup' },
    });
    expect(bytes.length % 4).toBe(0);
    expect(parseRtcp(bytes)).toEqual([
      {
        type: 'sr',
        ssrc: 7,
        ntp,
        rtpTimestamp: 0xfffffff0,
        packetCount: 1000,
        octetCount: 160_000,
        reports: [block, { ...block, ssrc: 9, cumulativeLost: 0x7fffff }],
      },
      { type: 'sdes', chunks: [{ ssrc: 7, cname: 'patchbay@gateway.example' }] },
      { type: 'bye', ssrcs: [7], reason: 'hangup' },
    ]);
  });

  it('keeps packet types it does not know (APP, feedback) as unknown, and a BYE without reason', () => {
    const bytes = hex('81 cd 0002 00000001 00000002   81 cb 0001 00000007');
    expect(parseRtcp(bytes)).toEqual([
      { type: 'unknown', packetType: 205, count: 1, body: hex('00000001 00000002') },
      { type: 'bye', ssrcs: [7] },
    ]);
  });

  it('handles padding on the last packet and rejects it elsewhere', () => {
    const padded = hex('a0 c9 0002 00000001 00000004'); // RR, no blocks, 4 bytes of padding
    expect(parseRtcp(padded)).toEqual([{ type: 'rr', ssrc: 1, reports: [] }]);
    expect(parseRtcp(hex('a0 c9 0002 00000001 00000004   80 c9 0001 00000001'))).toEqual([]);
  });

  it('returns [] for garbage: wrong version, lengths past the end, counts larger than the body', () => {
    expect(parseRtcp(hex(''))).toEqual([]);
    expect(parseRtcp(hex('40 c9 0001 00000001'))).toEqual([]);
    expect(parseRtcp(hex('80 c9 0009 00000001'))).toEqual([]);
    expect(parseRtcp(hex('81 c9 0001 00000001'))).toEqual([]); // RC=1 but no block
    expect(parseRtcp(hex('81 ca 0002 00000001 01 09 7062 0000'))).toEqual([]); // SDES item past the end
    expect(parseRtcp(hex('80 c9 0001 00000001 80'))).toEqual([]); // trailing byte
  });

  it('never throws on random or mutated input', () => {
    const random = prng(3550);
    const valid = buildSenderReport({ ssrc: 1, ntp: ntpFromUnixMs(0), rtpTimestamp: 0, packetCount: 0, octetCount: 0, reports: [block], cname: 'x', bye: {} });
    let parsed = 0;
    for (let i = 0; i < 20_000; i++) {
      const buf = i % 2 === 0 ? Uint8Array.from(valid) : new Uint8Array(Math.floor(random() * 96));
      const flips = i % 2 === 0 ? 1 + Math.floor(random() * 3) : buf.length;
      for (let f = 0; f < flips; f++) buf[Math.floor(random() * buf.length)] = Math.floor(random() * 256);
      if (buf.length > 0 && i % 2 === 1) buf[0] = 0x80 | ((buf[0] ?? 0) & 0x3f);
      if (parseRtcp(buf).length > 0) parsed++;
    }
    expect(parsed).toBeGreaterThan(100); // the mutated compounds often stay valid
  });

  it('converts wall-clock time to NTP and its middle 32 bits', () => {
    const ntp = ntpFromUnixMs(1_500);
    expect(ntp).toEqual({ seconds: 2_208_988_801, fraction: 0x80000000 });
    expect(ntpMiddle32({ seconds: 0x12345678, fraction: 0x9abcdef0 })).toBe(0x56789abc);
  });
});

describe('ReceptionStats', () => {
  it('computes the RFC 3550 A.8 jitter of a hand-worked example', () => {
    // 8 kHz, 20 ms packets. Arrivals 0, 20, 45, 60 ms → transit (ts units) 0, 0, 40, 0 → |D| 0, 40, 40.
    // J = 0 → 0 + (0 − 0)/16 = 0 → 0 + (40 − 0)/16 = 2.5 → 2.5 + (40 − 2.5)/16 = 4.84375.
    const s = new ReceptionStats({ clockRate: 8000, ssrc: 1 });
    s.receive(100, 0, 0);
    s.receive(101, 160, 20);
    expect(s.jitter).toBe(0);
    s.receive(102, 320, 45);
    expect(s.jitter).toBe(2.5);
    s.receive(103, 480, 60);
    expect(s.jitter).toBe(4.84375);
    expect(s.jitterMs).toBeCloseTo(0.60546875, 12);
    expect(s.reportBlock(60).jitter).toBe(4);
  });

  it('ignores the 32-bit RTP timestamp wrap in jitter', () => {
    const s = new ReceptionStats({ clockRate: 8000, ssrc: 1 });
    s.receive(1, 0xffffff60, 0);
    s.receive(2, 0x00000000, 20); // +160 across the wrap, on time
    s.receive(3, 0x000000a0, 40);
    expect(s.jitter).toBe(0);
  });

  it('extends the sequence across 65535 → 0 and counts loss, cumulative and per interval', () => {
    const s = new ReceptionStats({ clockRate: 8000, ssrc: 9 });
    const seqs = [65530, 65531, 65532, 65533, 65534, 0, 1, 3, 4, 5]; // 65535 and 2 lost
    seqs.forEach((seq, i) => s.receive(seq, i * 160, i * 20));
    expect(s.extendedHighestSeq).toBe(65536 + 5);
    expect(s.expected).toBe(12);
    expect(s.received).toBe(10);
    expect(s.lost).toBe(2);
    const first = s.reportBlock(200);
    expect(first).toMatchObject({ ssrc: 9, fractionLost: Math.floor((2 * 256) / 12), cumulativeLost: 2, highestSeq: 0x1_0005 });

    for (let seq = 6; seq <= 15; seq++) s.receive(seq, seq * 160, seq * 20);
    const second = s.reportBlock(400);
    expect(second.fractionLost).toBe(0);
    expect(second.cumulativeLost).toBe(2);
    expect(second.highestSeq).toBe(0x1_000f);
    // The late 65535 arrives after the wrap: counted, highest unchanged.
    s.receive(65535, 5 * 160, 420);
    expect(s.extendedHighestSeq).toBe(0x1_000f);
    expect(s.lost).toBe(1);
  });

  it('treats a huge jump as a restart only when the next packet confirms it', () => {
    const s = new ReceptionStats({ clockRate: 8000, ssrc: 1 });
    for (let seq = 100; seq < 110; seq++) s.receive(seq, seq * 160, seq * 20);
    expect(s.receive(40_000, 0, 300)).toBe(false); // a stray
    expect(s.extendedHighestSeq).toBe(109);
    expect(s.receive(110, 110 * 160, 320)).toBe(true);
    expect(s.receive(50_000, 0, 340)).toBe(false);
    expect(s.receive(50_001, 160, 360)).toBe(true); // confirmed: the source restarted
    expect(s.extendedHighestSeq).toBe(50_001);
    expect(s.expected).toBe(1);
    expect(s.lost).toBe(0);
  });

  it('reports LSR and DLSR from the last sender report', () => {
    const s = new ReceptionStats({ clockRate: 8000, ssrc: 1 });
    s.receive(1, 0, 0);
    expect(s.reportBlock(10)).toMatchObject({ lastSr: 0, delaySinceLastSr: 0 });
    s.receiveSenderReport({ seconds: 0x12345678, fraction: 0x9abcdef0 }, 1000);
    expect(s.reportBlock(1500)).toMatchObject({ lastSr: 0x56789abc, delaySinceLastSr: 32768 });
  });
});
