/**
 * Micro-benchmark: the RTP hot path per packet. Run from the repo root: `npx tsx bench/src/micro/rtp.ts [rounds]`.
 * Prints ns per packet for parseRtp, serializeRtp (into a reused buffer), both, a DTMF receiver push, and a jitter
 * buffer push+pop in steady state (20 ms packets, 1 in 10 swapped with its neighbour). Floors from the same run:
 * for the header, reading its fields straight from the bytes and taking the payload view (what any parser must do);
 * for the jitter buffer, a bare ring-buffer write+read of the same packets (storage without reordering, timing or
 * adaptation). Ratios to the floors are printed so machines can be compared.
 */
import { performance } from 'node:perf_hooks';

import { DtmfReceiver, JitterBuffer, parseRtp, serializeRtp, type JitterPacket, type RtpPacket } from '@patchbay/gateway';

const rounds = Number(process.argv[2] ?? 20);
const N = 100_000;

// 1,000 real-shaped PCMU packets (12-byte header + 160 bytes), varied headers so nothing is constant-folded.
const packets: Uint8Array[] = [];
for (let i = 0; i < 1000; i++) {
  const p: RtpPacket = {
    payloadType: 0,
    marker: i % 50 === 0,
    sequenceNumber: (60_000 + i) & 0xffff,
    timestamp: (0xfffff000 + i * 160) >>> 0,
    ssrc: 0x12345678,
    csrcs: [],
    payload: new Uint8Array(160).fill(i & 0xff),
  };
  packets.push(serializeRtp(p));
}
const pick = (i: number): Uint8Array => packets[i % packets.length] ?? new Uint8Array(12);

function measure(label: string, fn: (i: number) => number): number {
  let sink = 0;
  for (let i = 0; i < N; i++) sink += fn(i); // warm-up
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) for (let i = 0; i < N; i++) sink += fn(i);
  const ns = ((performance.now() - t0) * 1e6) / (rounds * N);
  if (sink === -1) throw new Error('unreachable');
  console.log(`${label.padEnd(52)} ${ns.toFixed(1).padStart(8)} ns/packet`);
  return ns;
}

// Sanity: what we time must mean what the label says.
for (const raw of packets) {
  const p = parseRtp(raw);
  if (p === undefined || serializeRtp(p).some((b, i) => b !== raw[i])) throw new Error('round-trip failed');
}

const headerFloor = measure('floor: read header fields + payload view', (i) => {
  const b = pick(i);
  const seq = ((b[2] ?? 0) << 8) | (b[3] ?? 0);
  const ts = (((b[4] ?? 0) << 24) | ((b[5] ?? 0) << 16) | ((b[6] ?? 0) << 8) | (b[7] ?? 0)) >>> 0;
  const ssrc = (((b[8] ?? 0) << 24) | ((b[9] ?? 0) << 16) | ((b[10] ?? 0) << 8) | (b[11] ?? 0)) >>> 0;
  return seq + (ts & 1) + (ssrc & 1) + b.subarray(12).length;
});
const parse = measure('parseRtp', (i) => parseRtp(pick(i))?.sequenceNumber ?? 0);
const out = new Uint8Array(1500);
const parsed = packets.map((raw) => parseRtp(raw)).filter((p): p is RtpPacket => p !== undefined);
const serialize = measure('serializeRtp (into a reused buffer)', (i) => {
  const p = parsed[i % parsed.length];
  return p === undefined ? 0 : serializeRtp(p, out).length;
});
const both = measure('parseRtp + serializeRtp', (i) => {
  const p = parseRtp(pick(i));
  return p === undefined ? 0 : serializeRtp(p, out).length;
});

// DTMF: a 100 ms press (5 updates + 3 ends) per 8 packets.
const rx = new DtmfReceiver();
const dtmf = measure('DtmfReceiver.push', (i) => {
  const press = Math.floor(i / 8);
  const k = i % 8;
  const duration = Math.min(5, k + 1) * 160;
  const payload = new Uint8Array([press % 16, (k >= 4 ? 0x80 : 0) | 10, duration >> 8, duration & 0xff]);
  return rx.push({ timestamp: press * 2000, payload }, i * 20).length;
});

// Jitter buffer steady state: push packet i (every 10th swapped with the next), pop once per packet.
const payload = new Uint8Array(160);
const order = (i: number): number => (i % 10 === 4 ? i + 1 : i % 10 === 5 ? i - 1 : i);
let jb = new JitterBuffer();
let base = 0;
const jitter = measure('JitterBuffer push + pop', (i) => {
  if (i === 0) {
    jb = new JitterBuffer();
    base += 10_000_000;
  }
  const s = order(i);
  const p: JitterPacket = { seq: s & 0xffff, timestamp: (s * 160) >>> 0, payload, arrivalMs: base + i * 20, marker: false };
  jb.push(p);
  return jb.pop(base + i * 20).kind.length;
});
if (jb.stats.lost !== 0 || jb.stats.late !== 0) throw new Error(`jitter buffer lost packets in the benchmark: ${JSON.stringify(jb.stats)}`);

const ring: (JitterPacket | undefined)[] = new Array<JitterPacket | undefined>(64).fill(undefined);
const ringFloor = measure('floor: ring write + read (no reorder/adapt)', (i) => {
  const p: JitterPacket = { seq: i & 0xffff, timestamp: (i * 160) >>> 0, payload, arrivalMs: i * 20, marker: false };
  ring[i & 63] = p;
  const back = ring[(i - 2) & 63];
  ring[(i - 2) & 63] = undefined;
  return back === undefined ? 0 : back.payload.length;
});

console.log(
  `ratios vs floor: parse ${(parse / headerFloor).toFixed(1)}x, serialize ${(serialize / headerFloor).toFixed(1)}x, ` +
    `parse+serialize ${(both / headerFloor).toFixed(1)}x, dtmf ${(dtmf / headerFloor).toFixed(1)}x; ` +
    `jitter buffer ${(jitter / ringFloor).toFixed(1)}x its ring floor`,
);
