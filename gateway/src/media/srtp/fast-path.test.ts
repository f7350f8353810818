/**
 * The per-packet fast paths (JS HMAC-SHA1, batched counter keystream, JS GHASH) against a reference made with
 * node:crypto one packet at a time (`createCipheriv('aes-128-ctr' | 'aes-128-gcm')`, `createHmac('sha1')`), over
 * random keys, payloads of 0..1500 bytes and index patterns that hit and miss the batches: in order through a
 * sequence-number wrap, late packets, jumps, two and three SSRCs interleaved.
 */
import { createCipheriv, createHmac, randomBytes, randomInt } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import type { SessionKeys } from './kdf.js';
import { transformFromSessionKeys } from './session.js';
import type { SrtpSuite } from './types.js';

interface Step {
  ssrc: number;
  index: number;
  payload: number;
}

function header(ssrc: number, seq: number): Buffer {
  const h = Buffer.alloc(12);
  h[0] = 0x80;
  h.writeUInt16BE(seq, 2);
  h.writeUInt32BE(0xdeadbeef, 4);
  h.writeUInt32BE(ssrc, 8);
  return h;
}

function reference(suite: SrtpSuite, keys: SessionKeys, step: Step, plain: Buffer): Buffer {
  const roc = Math.floor(step.index / 65536);
  const seq = step.index & 0xffff;
  const hdr = plain.subarray(0, 12);
  const body = plain.subarray(12);
  if (suite === 'AEAD_AES_128_GCM') {
    const iv = Buffer.alloc(12);
    iv.writeUInt32BE(step.ssrc, 2);
    iv.writeUInt32BE(roc, 6);
    iv.writeUInt16BE(seq, 10);
    for (let i = 0; i < 12; i++) iv[i] = (iv[i] ?? 0) ^ (keys.salt[i] ?? 0);
    const c = createCipheriv('aes-128-gcm', keys.encryptionKey, iv);
    c.setAAD(hdr);
    const enc = Buffer.concat([c.update(body), c.final()]);
    return Buffer.concat([hdr, enc, c.getAuthTag()]);
  }
  const iv = Buffer.alloc(16);
  keys.salt.copy(iv, 0, 0, 14);
  const x = Buffer.alloc(16);
  x.writeUInt32BE(step.ssrc, 4);
  x.writeUInt32BE(roc, 8);
  x.writeUInt16BE(seq, 12);
  for (let i = 0; i < 16; i++) iv[i] = (iv[i] ?? 0) ^ (x[i] ?? 0);
  const enc = Buffer.concat([hdr, createCipheriv('aes-128-ctr', keys.encryptionKey, iv).update(body)]);
  const rocBytes = Buffer.alloc(4);
  rocBytes.writeUInt32BE(roc);
  const tag = createHmac('sha1', keys.authKey).update(enc).update(rocBytes).digest();
  return Buffer.concat([enc, tag.subarray(0, suite === 'AES_CM_128_HMAC_SHA1_32' ? 4 : 10)]);
}

/** Index patterns: in order across a SEQ wrap, reordering, jumps, SSRC interleaving; payload sizes mixed. */
function steps(): Step[] {
  const out: Step[] = [];
  const sizes = () => (randomInt(4) === 0 ? randomInt(1501) : randomInt(4) === 0 ? randomInt(200) : 160);
  let index = 65536 * randomInt(3) + 65536 - 40; // crosses a SEQ wrap (ROC + 1)
  const a = randomInt(2 ** 32);
  const b = randomInt(2 ** 32);
  const c = randomInt(2 ** 32);
  for (let i = 0; i < 400; i++) {
    const r = randomInt(100);
    if (r < 5) out.push({ ssrc: a, index: index - randomInt(1, 40), payload: sizes() }); // late
    else if (r < 8) index += randomInt(2, 500); // jump
    else if (r < 20) out.push({ ssrc: b, index, payload: sizes() }); // a second stream, at the same indices
    else if (r < 23) out.push({ ssrc: c, index: 7 + i, payload: sizes() }); // a third
    out.push({ ssrc: a, index: index++, payload: sizes() });
  }
  return out;
}

const SUITES: SrtpSuite[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32', 'AEAD_AES_128_GCM'];

describe('fast paths equal node:crypto per packet', () => {
  for (const suite of SUITES) {
    it(`${suite}: protect equals the reference and unprotect restores it, random keys and index patterns`, () => {
      for (let run = 0; run < 4; run++) {
        const aead = suite === 'AEAD_AES_128_GCM';
        const keys: SessionKeys = { encryptionKey: randomBytes(16), authKey: aead ? Buffer.alloc(0) : randomBytes(20), salt: randomBytes(aead ? 12 : 14) };
        const sender = transformFromSessionKeys(suite, keys, keys);
        const receiver = transformFromSessionKeys(suite, keys, keys);
        const list = steps();
        const wires: Buffer[] = [];
        for (const step of list) {
          const plain = Buffer.concat([header(step.ssrc, step.index & 0xffff), randomBytes(step.payload)]);
          const roc = Math.floor(step.index / 65536);
          const wire = sender.protectRtp(plain, 12, step.ssrc, roc, step.index & 0xffff);
          expect(wire.toString('hex'), `${suite} ssrc ${step.ssrc} index ${step.index} payload ${step.payload}`).toBe(
            reference(suite, keys, step, plain).toString('hex'),
          );
          wires.push(wire);
          const back = receiver.unprotectRtp(wire, 12, step.ssrc, roc, step.index & 0xffff);
          expect(back?.toString('hex')).toBe(plain.toString('hex'));
        }
        // A receiver that sees the same packets in another order (reversed) decrypts them all too.
        const late = transformFromSessionKeys(suite, keys, keys);
        for (let i = list.length - 1; i >= 0; i--) {
          const step = list[i];
          const wire = wires[i];
          if (step === undefined || wire === undefined) continue;
          const back = late.unprotectRtp(wire, 12, step.ssrc, Math.floor(step.index / 65536), step.index & 0xffff);
          expect(back, `reversed ${i}`).toBeDefined();
        }
      }
    });

    it(`${suite}: a flipped bit in any byte of header, payload or tag is refused`, () => {
      const aead = suite === 'AEAD_AES_128_GCM';
      const keys: SessionKeys = { encryptionKey: randomBytes(16), authKey: aead ? Buffer.alloc(0) : randomBytes(20), salt: randomBytes(aead ? 12 : 14) };
      const t = transformFromSessionKeys(suite, keys, keys);
      for (let i = 0; i < 8; i++) {
        const plain = Buffer.concat([header(5, i), randomBytes(i === 0 ? 0 : 160)]);
        const wire = t.protectRtp(plain, 12, 5, 0, i);
        for (let at = 0; at < wire.length; at++) {
          const bad = Buffer.from(wire);
          bad[at] = (bad[at] ?? 0) ^ (1 << randomInt(8));
          expect(t.unprotectRtp(bad, 12, 5, 0, i), `byte ${at}`).toBeUndefined();
        }
        expect(t.unprotectRtp(wire, 12, 5, 0, i)?.toString('hex')).toBe(plain.toString('hex'));
      }
    });
  }
});
