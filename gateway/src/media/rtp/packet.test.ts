import { describe, expect, it } from 'vitest';
import { prng } from '../../../test/helpers/prng.js';
import { readPcapUdp } from '../../../test/helpers/pcap.js';
import { isRtcp, parseRtp, rtpSize, serializeRtp, type RtpPacket } from './packet.js';

const PCAP_DIR = '/usr/share/sip-tester';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

describe('parseRtp / serializeRtp', () => {
  it('round-trips every packet of a real G.711 capture byte for byte, payload as a view', () => {
    const records = readPcapUdp(`${PCAP_DIR}/g711a.pcap`);
    expect(records.length).toBeGreaterThan(200);
    let previous: RtpPacket | undefined;
    for (const r of records) {
      const p = parseRtp(r.payload);
      expect(p).toBeDefined();
      if (p === undefined) continue;
      expect(p.payloadType).toBe(8);
      expect(p.ssrc).toBe(0xdee0ee8f);
      expect(p.payload.buffer).toBe(r.payload.buffer); // no copy
      expect(serializeRtp(p)).toEqual(r.payload);
      if (previous !== undefined) {
        expect(p.sequenceNumber).toBe((previous.sequenceNumber + 1) & 0xffff);
        expect(p.timestamp - previous.timestamp).toBe(240);
      }
      previous = p;
    }
    const first = parseRtp(records[0]?.payload ?? new Uint8Array());
    expect(first?.marker).toBe(true);
    expect(first?.sequenceNumber).toBe(59133);
    expect(first?.timestamp).toBe(240);
  });

  it('round-trips the RFC 2833 packets of the SIPp captures', () => {
    const records = readPcapUdp(`${PCAP_DIR}/dtmf_2833_5.pcap`);
    expect(records.length).toBe(10); // 7 updates, then the end packet three times
    for (const r of records) {
      const p = parseRtp(r.payload);
      expect(p?.payloadType).toBe(101);
      expect(p?.payload.length).toBe(4);
      if (p !== undefined) expect(serializeRtp(p)).toEqual(r.payload);
    }
  });

  it('parses CSRCs, a header extension and padding, and round-trips them', () => {
    // V=2 P=1 X=1 CC=2, M=1 PT=111, seq 0xfffe, ts 0xfffffff0, ssrc 0x01020304
    const raw = hex(`
      b2 ef fffe fffffff0 01020304
      aaaaaaaa bbbbbbbb
      bede 0002 10ff 0000 22aa bb00
      01 02 03 04 05
      00 00 03`);
    const p = parseRtp(raw);
    expect(p).toEqual({
      payloadType: 111,
      marker: true,
      sequenceNumber: 0xfffe,
      timestamp: 0xfffffff0,
      ssrc: 0x01020304,
      csrcs: [0xaaaaaaaa, 0xbbbbbbbb],
      extension: { profile: 0xbede, data: hex('10ff000022aabb00') },
      payload: hex('0102030405'),
      paddingLength: 3,
    });
    if (p === undefined) return;
    expect(rtpSize(p)).toBe(raw.length);
    expect(serializeRtp(p)).toEqual(raw);
  });

  it('serializes into a caller buffer and returns the written view', () => {
    const out = new Uint8Array(1500);
    const p: RtpPacket = { payloadType: 0, marker: false, sequenceNumber: 7, timestamp: 160, ssrc: 42, csrcs: [], payload: new Uint8Array([9, 9]) };
    const bytes = serializeRtp(p, out);
    expect(bytes.buffer).toBe(out.buffer);
    expect(bytes).toEqual(hex('80 00 0007 000000a0 0000002a 0909'));
    expect(() => serializeRtp(p, new Uint8Array(13))).toThrow(RangeError);
  });

  it('rejects what is not RTP v2', () => {
    const ok = hex('80 00 0001 00000000 00000001');
    expect(parseRtp(ok)?.payload.length).toBe(0);
    expect(parseRtp(ok.subarray(0, 11))).toBeUndefined(); // too short
    expect(parseRtp(hex('40 00 0001 00000000 00000001'))).toBeUndefined(); // version 1
    expect(parseRtp(hex('81 00 0001 00000000 00000001'))).toBeUndefined(); // CSRC past the end
    expect(parseRtp(hex('90 00 0001 00000000 00000001 bede'))).toBeUndefined(); // extension header cut
    expect(parseRtp(hex('90 00 0001 00000000 00000001 bede 0001'))).toBeUndefined(); // extension body cut
    expect(parseRtp(hex('a0 00 0001 00000000 00000001 00'))).toBeUndefined(); // padding count 0
    expect(parseRtp(hex('a0 00 0001 00000000 00000001 aa 05'))).toBeUndefined(); // padding past the header
    expect(parseRtp(hex('a0 00 0001 00000000 00000001 aa 02'))?.payload.length).toBe(0);
  });

  it('never throws on random bytes, and what it accepts serializes back to the same bytes', () => {
    const random = prng(2833);
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const buf = new Uint8Array(Math.floor(random() * 64));
      for (let j = 0; j < buf.length; j++) buf[j] = Math.floor(random() * 256);
      if (buf.length > 0 && random() < 0.7) buf[0] = 0x80 | ((buf[0] ?? 0) & 0x3f); // mostly version 2
      const p = parseRtp(buf);
      if (p === undefined) continue;
      accepted++;
      const back = serializeRtp(p);
      // Padding bytes before the count are not kept (they are zeros on the wire by convention).
      const pad = p.paddingLength ?? 0;
      expect(back.subarray(0, back.length - pad)).toEqual(buf.subarray(0, buf.length - pad));
      expect(back.length).toBe(buf.length);
    }
    expect(accepted).toBeGreaterThan(1000);
  });
});

describe('isRtcp (RFC 5761 demux)', () => {
  it('tells RTCP from RTP by the packet type in byte 1', () => {
    expect(isRtcp(hex('81c90007 00000001'))).toBe(true); // RR
    expect(isRtcp(hex('80c80006 00000001'))).toBe(true); // SR
    expect(isRtcp(hex('80df0000 00000000'))).toBe(true); // 223
    expect(isRtcp(hex('80e00000 00000000'))).toBe(false); // 224: RTP PT 96 with marker
    expect(isRtcp(hex('80bf0000 00000000'))).toBe(false); // 191: RTP PT 63 with marker
    expect(isRtcp(hex('8000 0001 00000000 00000001'))).toBe(false); // PCMU
    expect(isRtcp(hex('81c9'))).toBe(false); // too short
    expect(isRtcp(hex('41c90007 00000001'))).toBe(false); // version 1
  });
});
