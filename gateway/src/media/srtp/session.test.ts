import { randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { SrtpError } from './errors.js';
import { createSrtpSession, rtpHeaderLength } from './session.js';
import { SRTP_SUITES, type SrtpKeyMaterial, type SrtpSuite } from './types.js';

const SUITES = Object.keys(SRTP_SUITES) as SrtpSuite[];

function material(suite: SrtpSuite, seed: number): SrtpKeyMaterial {
  const spec = SRTP_SUITES[suite];
  return {
    suite,
    masterKey: Buffer.alloc(spec.keyLength, seed),
    masterSalt: Buffer.alloc(spec.saltLength, seed + 1),
  };
}

/** A caller (a) and a callee (b) with a key per direction, as SDES gives them. */
function pair(suite: SrtpSuite, replayWindow?: number) {
  const aKey = material(suite, 1);
  const bKey = material(suite, 7);
  const options = replayWindow === undefined ? {} : { replayWindow };
  return {
    a: createSrtpSession({ local: aKey, remote: bKey }, options),
    b: createSrtpSession({ local: bKey, remote: aKey }, options),
  };
}

interface RtpOptions {
  seq: number;
  ssrc?: number;
  csrcs?: number;
  extensionWords?: number;
  padding?: number;
  payload?: number;
}

/** An RTP packet: V=2, optional CSRCs, a one-byte-header extension, a payload and RFC 3550 padding. */
function rtp(o: RtpOptions): Buffer {
  const csrcs = o.csrcs ?? 0;
  const ext = o.extensionWords;
  const padding = o.padding ?? 0;
  const payload = o.payload ?? 160;
  const header = 12 + csrcs * 4 + (ext === undefined ? 0 : 4 + ext * 4);
  const buf = Buffer.alloc(header + payload + padding);
  buf[0] = 0x80 | (ext === undefined ? 0 : 0x10) | (padding > 0 ? 0x20 : 0) | csrcs;
  buf[1] = 0;
  buf.writeUInt16BE(o.seq & 0xffff, 2);
  buf.writeUInt32BE((o.seq * 160) >>> 0, 4);
  buf.writeUInt32BE(o.ssrc ?? 0x11223344, 8);
  for (let i = 0; i < csrcs; i++) buf.writeUInt32BE(0xc0000000 + i, 12 + i * 4);
  if (ext !== undefined) {
    const at = 12 + csrcs * 4;
    buf.writeUInt16BE(0xbede, at);
    buf.writeUInt16BE(ext, at + 2);
    buf.fill(0x5a, at + 4, at + 4 + ext * 4);
  }
  for (let i = 0; i < payload; i++) buf[header + i] = (i * 7 + o.seq) & 0xff;
  if (padding > 0) buf[buf.length - 1] = padding;
  return buf;
}

const rtcp = (ssrc = 0x11223344): Buffer => {
  const buf = Buffer.alloc(28);
  buf[0] = 0x80;
  buf[1] = 200;
  buf.writeUInt16BE(6, 2);
  buf.writeUInt32BE(ssrc, 4);
  buf.fill(0x33, 8);
  return buf;
};

describe.each(SUITES)('%s session', (suite) => {
  const spec = SRTP_SUITES[suite];

  it('round-trips RTP with CSRCs, a header extension and padding, encrypting only the payload', () => {
    const { a, b } = pair(suite);
    const plain = rtp({ seq: 100, csrcs: 2, extensionWords: 2, padding: 4 });
    const header = rtpHeaderLength(plain, plain.length);
    expect(header).toBe(12 + 8 + 12);
    const wire = a.protectRtp(plain);
    expect(wire.length).toBe(plain.length + spec.tagLength);
    expect(wire.subarray(0, header).equals(plain.subarray(0, header))).toBe(true);
    expect(wire.subarray(header, plain.length).equals(plain.subarray(header))).toBe(false);
    const back = b.unprotectRtp(wire);
    expect(back.ok && back.packet.equals(plain)).toBe(true);
  });

  it('round-trips RTCP (SRTCP, E=1) with the index counting up from 0', () => {
    const { a, b } = pair(suite);
    const plain = rtcp();
    for (let i = 0; i < 3; i++) {
      const wire = a.protectRtcp(plain);
      expect(wire.length).toBe(plain.length + spec.rtcpTagLength + 4);
      const wordAt = spec.aead ? wire.length - 4 : plain.length;
      expect(wire.readUInt32BE(wordAt)).toBe((0x80000000 | i) >>> 0);
      expect(wire.subarray(8, plain.length).equals(plain.subarray(8))).toBe(false);
      const back = b.unprotectRtcp(wire);
      expect(back.ok && back.packet.equals(plain)).toBe(true);
    }
    expect(b.counters.rtcpUnprotected).toBe(3);
  });

  it('refuses the wrong key as auth, a replay as replay, a truncated packet as malformed', () => {
    const { a, b } = pair(suite);
    const wire = a.protectRtp(rtp({ seq: 1 }));
    // b's own key is not the one a protects with.
    expect(a.unprotectRtp(wire)).toEqual({ ok: false, failure: 'auth' });
    expect(b.unprotectRtp(wire).ok).toBe(true);
    expect(b.unprotectRtp(wire)).toEqual({ ok: false, failure: 'replay' });
    expect(b.unprotectRtp(wire.subarray(0, 12 + spec.tagLength - 1))).toEqual({ ok: false, failure: 'malformed' });
    const notV2 = Buffer.from(a.protectRtp(rtp({ seq: 2 })));
    notV2[0] = 0x40;
    expect(b.unprotectRtp(notV2)).toEqual({ ok: false, failure: 'malformed' });
    expect(b.counters.failures).toEqual({ auth: 0, replay: 1, malformed: 2 });
    expect(a.counters.failures.auth).toBe(1);
  });

  it('refuses any single flipped bit (header, payload or tag) as auth', () => {
    const { a, b } = pair(suite);
    const wire = a.protectRtp(rtp({ seq: 5, extensionWords: 1, payload: 20 }));
    for (let i = 0; i < wire.length; i++) {
      if (i === 0) continue; // the version bits make it malformed instead; covered above
      const t = Buffer.from(wire);
      t[i] = (t[i] ?? 0) ^ 0x01;
      const r = b.unprotectRtp(t);
      expect(r.ok, `byte ${i}`).toBe(false);
    }
    // The untouched packet still authenticates: no forged packet moved the replay window.
    expect(b.unprotectRtp(wire).ok).toBe(true);
  });

  it('refuses a tampered or replayed SRTCP packet', () => {
    const { a, b } = pair(suite);
    const wire = a.protectRtcp(rtcp());
    const t = Buffer.from(wire);
    t[10] = (t[10] ?? 0) ^ 0x80;
    expect(b.unprotectRtcp(t)).toEqual({ ok: false, failure: 'auth' });
    expect(b.unprotectRtcp(wire).ok).toBe(true);
    expect(b.unprotectRtcp(wire)).toEqual({ ok: false, failure: 'replay' });
    expect(b.unprotectRtcp(wire.subarray(0, 8 + spec.rtcpTagLength + 3))).toEqual({ ok: false, failure: 'malformed' });
  });

  it('carries the rollover counter across 65535 → 0 (and it is in the keystream/IV)', () => {
    const { a, b } = pair(suite);
    const wires: Buffer[] = [];
    for (let n = 65530; n < 65536 + 6; n++) wires.push(a.protectRtp(rtp({ seq: n })));
    for (const w of wires) expect(b.unprotectRtp(w).ok).toBe(true);
    // Seq 0 with ROC 1 is not the packet seq 0 with ROC 0 would be.
    const fresh = pair(suite);
    const rocZero = fresh.a.protectRtp(rtp({ seq: 0 }));
    const rocOne = wires[6];
    expect(rocOne?.readUInt16BE(2)).toBe(0);
    expect(rocOne?.equals(rocZero)).toBe(false);
    // A receiver that only ever saw ROC 0 packets refuses the ROC 1 one replayed under ROC 0's guess.
    expect(fresh.b.unprotectRtp(rocOne ?? Buffer.alloc(0))).toEqual({ ok: false, failure: 'auth' });
  });

  it('accepts a packet from before the wrap arriving after it (ROC - 1 guess), once', () => {
    const { a, b } = pair(suite);
    const before = [65533, 65534, 65535].map((seq) => a.protectRtp(rtp({ seq })));
    const after = [0, 1, 2].map((seq) => a.protectRtp(rtp({ seq })));
    const order = [before[0], before[1], after[0], after[1], before[2], after[2]];
    for (const w of order) expect(b.unprotectRtp(w ?? Buffer.alloc(0)).ok).toBe(true);
    expect(b.unprotectRtp(before[2] ?? Buffer.alloc(0))).toEqual({ ok: false, failure: 'replay' });
  });

  it('accepts out-of-order packets within the window once, refuses ones older than the window', () => {
    const { a, b } = pair(suite, 64);
    const wires = Array.from({ length: 200 }, (_, i) => a.protectRtp(rtp({ seq: 1000 + i })));
    const at = (i: number): Buffer => wires[i] ?? Buffer.alloc(0);
    expect(b.unprotectRtp(at(0)).ok).toBe(true);
    expect(b.unprotectRtp(at(100)).ok).toBe(true);
    expect(b.unprotectRtp(at(50)).ok).toBe(true); // 50 behind the highest: inside a 64 window
    expect(b.unprotectRtp(at(50))).toEqual({ ok: false, failure: 'replay' });
    expect(b.unprotectRtp(at(36))).toEqual({ ok: false, failure: 'replay' }); // 64 behind: outside
    expect(b.unprotectRtp(at(37)).ok).toBe(true); // 63 behind: inside
    expect(b.unprotectRtp(at(199)).ok).toBe(true);
    expect(b.unprotectRtp(at(150)).ok).toBe(true);
    expect(b.counters.rtpUnprotected).toBe(6);
  });

  it('keeps a rollover counter and a window per SSRC', () => {
    const { a, b } = pair(suite);
    const x = a.protectRtp(rtp({ seq: 7, ssrc: 1 }));
    const y = a.protectRtp(rtp({ seq: 7, ssrc: 2 }));
    expect(b.unprotectRtp(x).ok).toBe(true);
    expect(b.unprotectRtp(y).ok).toBe(true);
  });

  it('never throws on garbage and counts it', () => {
    const { b } = pair(suite);
    let refused = 0;
    for (let i = 0; i < 500; i++) {
      const junk = randomBytes(i % 90);
      if (i % 2 === 0 && junk.length > 0) junk[0] = 0x80 | ((junk[0] ?? 0) & 0x3f);
      if (!b.unprotectRtp(junk).ok) refused++;
      if (!b.unprotectRtcp(junk).ok) refused++;
    }
    expect(refused).toBe(1000);
    const f = b.counters.failures;
    expect(f.auth + f.replay + f.malformed).toBe(1000);
  });
});

describe('createSrtpSession', () => {
  it('refuses keys of the wrong length and mixed suites with a coded error', () => {
    const good = material('AES_CM_128_HMAC_SHA1_80', 1);
    const short = { ...good, masterSalt: Buffer.alloc(12) };
    expect(() => createSrtpSession({ local: short, remote: good })).toThrow(SrtpError);
    try {
      createSrtpSession({ local: good, remote: short });
    } catch (err) {
      expect(err instanceof SrtpError && err.code).toBe('SRTP_KEY_LENGTH');
    }
    const gcm = material('AEAD_AES_128_GCM', 1);
    expect(() => createSrtpSession({ local: good, remote: gcm })).toThrow(/differs/);
    expect(() => createSrtpSession({ local: good, remote: good }, { replayWindow: 10 })).toThrow(/replayWindow/);
  });

  it('throws a coded error when asked to protect bytes that are not RTP', () => {
    const { a } = pair('AEAD_AES_128_GCM');
    expect(() => a.protectRtp(Buffer.alloc(5))).toThrow(expect.objectContaining({ code: 'SRTP_NOT_A_PACKET' }));
  });
});
