/**
 * Micro-benchmark: SRTP per packet. Run from the repo root: `npx tsx bench/src/micro/srtp.ts [rounds]`.
 * Prints CPU ns per packet to protect and to unprotect a PCMU packet (12-byte header + 160-byte G.711 payload, 20 ms)
 * for each suite, and SRTCP protect+unprotect of a 28-byte sender report. Floor from the same run: the plain RTP
 * path any packet takes anyway, parseRtp + serializeRtp into a reused buffer. Three alternatives the library chose
 * against are measured beside it, so the choice can be rechecked on another machine or Node: a fresh
 * `createCipheriv('aes-128-ctr')` per packet (the library XORs a counter keystream made by a reused AES-ECB cipher
 * for 16 packets at a time), `createHmac` with a KeyObject per packet (the library runs HMAC-SHA1 in JavaScript from
 * precomputed inner/outer SHA-1 states) and a `createCipheriv('aes-128-gcm')` object per packet (the library uses
 * the batched counter keystream and GHASH in JavaScript).
 *
 * What it means for a call: 50 packets/s each way, so a call-second costs 50 × (protect + unprotect).
 */
import { createCipheriv, createHmac, createSecretKey } from 'node:crypto';

import { createSrtpSession, parseRtp, serializeRtp, SRTP_SUITES, type RtpPacket, type SrtpSuite } from '@patchbay/gateway';

const rounds = Number(process.argv[2] ?? 10);
const N = 50_000;

/**
 * Median over rounds of CPU ns per call (`process.cpuUsage`, this single-threaded process: on a shared machine
 * wall time also counts the time other processes held the core). `fn(i)` gets a call counter that never repeats
 * (0 .. (rounds+1)·N-1), so unprotect sees every packet once, in order.
 */
function measure(label: string, fn: (i: number) => number): number {
  let sink = 0;
  let i = 0;
  for (let c = 0; c < N; c++) sink += fn(i++); // warm-up
  const perRound: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.cpuUsage();
    for (let c = 0; c < N; c++) sink += fn(i++);
    const used = process.cpuUsage(t0);
    perRound.push(((used.user + used.system) * 1e3) / N);
  }
  perRound.sort((a, b) => a - b);
  const ns = perRound[Math.floor(perRound.length / 2)] ?? Number.NaN;
  if (sink === -1) throw new Error('unreachable');
  console.log(`${label.padEnd(56)} ${ns.toFixed(0).padStart(7)} ns/packet`);
  return ns;
}

// The packets a call sends: consecutive sequence numbers through a wrap, 160-byte payloads that vary.
const TOTAL = (rounds + 1) * N;
const plainAt = (i: number, into?: Uint8Array): Uint8Array => {
  const p: RtpPacket = {
    payloadType: 0,
    marker: false,
    sequenceNumber: (60_000 + i) & 0xffff,
    timestamp: (i * 160) >>> 0,
    ssrc: 0x12345678,
    csrcs: [],
    payload: PAYLOADS[i % PAYLOADS.length] ?? new Uint8Array(160),
  };
  return serializeRtp(p, into);
};
const PAYLOADS = Array.from({ length: 50 }, (_, f) => new Uint8Array(160).map((_, k) => (k * 31 + f) & 0xff));
const sample = Array.from({ length: 1000 }, (_, i) => Uint8Array.from(plainAt(i)));

console.log(`PCMU packets (12 + 160 bytes), ${rounds} rounds × ${N}, median; node ${process.version}`);
const out = new Uint8Array(1500);
const floor = measure('floor: parseRtp + serializeRtp (plain RTP path)', (i) => {
  const p = parseRtp(sample[i % sample.length] ?? new Uint8Array(12));
  return p === undefined ? 0 : serializeRtp(p, out).length;
});

const key = (suite: SrtpSuite, seed: number) => ({
  suite,
  masterKey: new Uint8Array(SRTP_SUITES[suite].keyLength).fill(seed),
  masterSalt: new Uint8Array(SRTP_SUITES[suite].saltLength).fill(seed + 1),
});

const results: string[] = [];
for (const suite of Object.keys(SRTP_SUITES) as SrtpSuite[]) {
  const sender = createSrtpSession({ local: key(suite, 1), remote: key(suite, 2) });
  const receiver = createSrtpSession({ local: key(suite, 2), remote: key(suite, 1) });
  // Protect one call's worth of packets in order (the timed loop protects the same sequence again, new session).
  const wire = Array.from({ length: TOTAL }, (_, i) => sender.protectRtp(plainAt(i)));
  const timedSender = createSrtpSession({ local: key(suite, 1), remote: key(suite, 2) });
  const scratch = new Uint8Array(12 + 160);
  const protect = measure(`${suite} protectRtp`, (i) => timedSender.protectRtp(plainAt(i, scratch)).length);
  let ok = 0;
  const unprotect = measure(`${suite} unprotectRtp`, (i) => {
    const r = receiver.unprotectRtp(wire[i] ?? new Uint8Array(0));
    if (r.ok) ok++;
    return r.ok ? r.packet.length : 0;
  });
  if (ok !== TOTAL) throw new Error(`${suite}: only ${ok} of ${TOTAL} packets unprotected`);
  const sr = new Uint8Array(28).fill(7);
  sr[0] = 0x80;
  sr[1] = 200;
  const rtcpSender = createSrtpSession({ local: key(suite, 1), remote: key(suite, 2) });
  const rtcpReceiver = createSrtpSession({ local: key(suite, 2), remote: key(suite, 1) });
  const rtcp = measure(`${suite} SRTCP protect + unprotect`, () => {
    const r = rtcpReceiver.unprotectRtcp(rtcpSender.protectRtcp(sr));
    return r.ok ? 1 : 0;
  });
  results.push(
    `${suite}: protect ${(protect / floor).toFixed(1)}× floor, unprotect ${(unprotect / floor).toFixed(1)}× floor, ` +
      `one call-second (50 each way) ${(((protect + unprotect) * 50) / 1000).toFixed(1)} µs; SRTCP pair ${rtcp.toFixed(0)} ns`,
  );
}

// The alternatives (the same work the AES-CM suite does per packet, done the other way).
const aesKey = new Uint8Array(16).fill(3);
const iv = new Uint8Array(16).fill(4);
const payload = PAYLOADS[0] ?? new Uint8Array(160);
measure('alternative: createCipheriv(aes-128-ctr) per packet', () => createCipheriv('aes-128-ctr', aesKey, iv).update(payload).length);
const hmacKey = createSecretKey(new Uint8Array(20).fill(5));
const roc = new Uint8Array(4);
const packet = sample[0] ?? new Uint8Array(172);
measure('alternative: createHmac(sha1, KeyObject) per packet', () => createHmac('sha1', hmacKey).update(packet).update(roc).digest().length);
const gcmKey = createSecretKey(new Uint8Array(16).fill(6));
const gcmIv = new Uint8Array(12).fill(7);
measure('alternative: createCipheriv(aes-128-gcm) per packet', () => {
  const c = createCipheriv('aes-128-gcm', gcmKey, gcmIv);
  c.setAAD(packet.subarray(0, 12));
  const n = c.update(packet.subarray(12)).length;
  c.final();
  return n + c.getAuthTag().length;
});

for (const line of results) console.log(line);
