/**
 * The load generator's SRTP (pure but for drawing keys): which suite a run offers (`--srtp off|aes-cm|gcm|all`), a
 * fresh SDES key per call, our `a=crypto` line, and the answer's key read back. Written here, not taken from the
 * gateway's SDP code, so the bench is an independent SDES peer: one line offered, RFC 4568's plain form
 * (`a=crypto:1 <suite> inline:<base64 key||salt>`), and an answer that must echo tag and suite.
 */
import { randomBytes } from 'node:crypto';
import { SRTP_SUITES, type SrtpKeyMaterial, type SrtpSuite } from '@patchbay/gateway';

export const BENCH_SRTP_MODES = ['off', 'aes-cm', 'gcm'] as const;
export type BenchSrtpMode = (typeof BENCH_SRTP_MODES)[number];
export const BENCH_SRTP_CHOICES = [...BENCH_SRTP_MODES, 'all'] as const;
export type BenchSrtpChoice = (typeof BENCH_SRTP_CHOICES)[number];

/** The suite each SRTP mode offers (alone). */
export const SRTP_MODE_SUITE: Readonly<Record<Exclude<BenchSrtpMode, 'off'>, SrtpSuite>> = {
  'aes-cm': 'AES_CM_128_HMAC_SHA1_80',
  gcm: 'AEAD_AES_128_GCM',
};

export function suiteOf(mode: BenchSrtpMode): SrtpSuite | undefined {
  return mode === 'off' ? undefined : SRTP_MODE_SUITE[mode];
}

/**
 * The runs of a `--srtp` choice, in order. `all` is plain, then each suite; with `repeat` > 1 the rounds alternate
 * direction (off, aes-cm, gcm, then gcm, aes-cm, off, ...) so that a drift over the session (a machine warming up,
 * another process starting) weighs on every mode alike instead of always on the last one.
 */
export function srtpOrder(choice: BenchSrtpChoice, repeat = 1): BenchSrtpMode[] {
  const round = choice === 'all' ? [...BENCH_SRTP_MODES] : [choice];
  const order: BenchSrtpMode[] = [];
  for (let r = 0; r < repeat; r++) order.push(...(r % 2 === 0 ? round : [...round].reverse()));
  return order;
}

/** A fresh random master key and salt of `suite`'s lengths. */
export function newSrtpKey(suite: SrtpSuite): SrtpKeyMaterial {
  const spec = SRTP_SUITES[suite];
  return { suite, masterKey: randomBytes(spec.keyLength), masterSalt: randomBytes(spec.saltLength) };
}

/** `a=crypto:<tag> <suite> inline:<base64(key || salt)>`. */
export function cryptoAttribute(tag: number, key: SrtpKeyMaterial): string {
  return `a=crypto:${tag} ${key.suite} inline:${Buffer.concat([key.masterKey, key.masterSalt]).toString('base64')}`;
}

/**
 * The answer's key for our offer: an `RTP/SAVP` audio stream with an `a=crypto` line of tag 1 and our suite whose
 * key decodes to the suite's length (a lifetime after `|` is ignored). Undefined when the answer is plain RTP, names
 * another tag or suite, or the key is malformed.
 */
export function answeredSrtpKey(body: string, suite: SrtpSuite): SrtpKeyMaterial | undefined {
  if (!/^m=audio \d+ RTP\/SAVP /m.test(body)) return undefined;
  const spec = SRTP_SUITES[suite];
  for (const m of body.matchAll(/^a=crypto:(\d+) (\S+) inline:([A-Za-z0-9+/=]+)(?:\|\S*)?\s*$/gm)) {
    if (m[1] !== '1' || m[2] !== suite) continue;
    const bytes = Buffer.from(m[3] ?? '', 'base64');
    if (bytes.length !== spec.keyLength + spec.saltLength) return undefined;
    return { suite, masterKey: bytes.subarray(0, spec.keyLength), masterSalt: bytes.subarray(spec.keyLength) };
  }
  return undefined;
}
