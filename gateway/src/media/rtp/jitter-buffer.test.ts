import { describe, expect, it } from 'vitest';
import { prng } from '../../../test/helpers/prng.js';
import { readPcapUdp } from '../../../test/helpers/pcap.js';
import { JitterBuffer, type JitterBufferOptions, type JitterOutput, type JitterPacket } from './jitter-buffer.js';
import { parseRtp } from './packet.js';

const PTIME = 20;
const SPP = 160;

interface Sent {
  seq: number;
  arrivalMs: number;
  timestamp?: number;
  marker?: boolean;
  ssrc?: number;
}

/** A packet whose payload carries its own seq, so outputs can be checked against what was sent. */
function packet(s: Sent, index: number): JitterPacket {
  const p: JitterPacket = {
    seq: s.seq & 0xffff,
    timestamp: (s.timestamp ?? index * SPP) >>> 0,
    payload: new Uint8Array([s.seq & 0xff, (s.seq >> 8) & 0xff]),
    arrivalMs: s.arrivalMs,
    marker: s.marker ?? false,
  };
  if (s.ssrc !== undefined) p.ssrc = s.ssrc;
  return p;
}

/**
 * Plays `sent` through a buffer: pops every PTIME from t=0 to `untilMs`; before each pop, pushes every packet that
 * has arrived by then (ties: push first). Returns the outputs with their pop times.
 */
function run(buffer: JitterBuffer, sent: readonly JitterPacket[], untilMs: number): { t: number; out: JitterOutput }[] {
  const arrivals = [...sent].sort((a, b) => a.arrivalMs - b.arrivalMs);
  const outputs: { t: number; out: JitterOutput }[] = [];
  let i = 0;
  for (let t = 0; t <= untilMs; t += PTIME) {
    for (let next = arrivals[i]; next !== undefined && next.arrivalMs <= t; next = arrivals[++i]) buffer.push(next);
    outputs.push({ t, out: buffer.pop(t) });
  }
  return outputs;
}

/** The outputs as a compact string between the first and last audio: seq numbers, `c` conceal, `_` empty. */
function trace(outputs: readonly { out: JitterOutput }[]): string[] {
  const marks = outputs.map(({ out }) => (out.kind === 'audio' ? String(out.seq) : out.kind === 'conceal' ? 'c' : '_'));
  const first = marks.findIndex((m) => m !== 'c' && m !== '_');
  let last = marks.length - 1;
  while (last >= 0 && (marks[last] === 'c' || marks[last] === '_')) last--;
  return first < 0 ? [] : marks.slice(first, last + 1);
}

const inOrder = (n: number, firstSeq = 0, startMs = 0): Sent[] =>
  Array.from({ length: n }, (_, i) => ({ seq: firstSeq + i, arrivalMs: startMs + i * PTIME }));

const make = (sent: readonly Sent[]): JitterPacket[] => sent.map((s, i) => packet(s, i));
const buffer = (options: JitterBufferOptions = {}): JitterBuffer => new JitterBuffer({ ptimeMs: PTIME, clockRate: 8000, ...options });
const range = (a: number, b: number): string[] => Array.from({ length: b - a + 1 }, (_, i) => String(a + i));

describe('JitterBuffer', () => {
  it('plays in-order packets in order after the start delay, then conceals briefly and goes silent', () => {
    const jb = buffer();
    const outputs = run(jb, make(inOrder(50)), 1400);
    expect(outputs[0]?.out.kind).toBe('empty'); // not started: buffering up to the start delay
    const firstAudio = outputs.findIndex((o) => o.out.kind === 'audio');
    expect(outputs[firstAudio]?.t).toBe(40); // packet 0 waited exactly startDelayMs
    expect(trace(outputs)).toEqual(range(0, 49));
    const tail = outputs.slice(firstAudio + 50).map((o) => o.out.kind);
    expect(tail.slice(0, 3)).toEqual(['conceal', 'conceal', 'conceal']); // maxConcealMs 60
    expect(tail.slice(3).every((k) => k === 'empty')).toBe(true);
    expect(jb.stats).toMatchObject({ late: 0, duplicates: 0, lost: 0, underruns: 1, overflowDropped: 0, resyncs: 0 });
  });

  it('reorders within the window: 0,2,1,4,3,…', () => {
    const order = [0, 2, 1, 4, 3, 5, 7, 6, 9, 8, 10, 11];
    const sent = order.map((seq, i) => ({ seq, arrivalMs: i * PTIME, timestamp: seq * SPP }));
    const jb = buffer();
    expect(trace(run(jb, make(sent), 600))).toEqual(range(0, 11));
    expect(jb.stats).toMatchObject({ late: 0, lost: 0, duplicates: 0 });
  });

  it('drops duplicates, queued or already played, and counts them', () => {
    const sent = inOrder(20).flatMap((s) => [s, { ...s, arrivalMs: s.arrivalMs + 1 }, { ...s, arrivalMs: s.arrivalMs + 70 }]);
    const jb = buffer();
    expect(trace(run(jb, sent.map((s) => packet(s, s.seq)), 800))).toEqual(range(0, 19));
    expect(jb.stats.duplicates).toBe(40);
    expect(jb.stats.late).toBe(0);
  });

  it('conceals exactly once per missing packet', () => {
    const lostSeqs = new Set([4, 7, 8, 15]);
    const sent = inOrder(20).filter((s) => !lostSeqs.has(s.seq));
    const jb = buffer();
    expect(trace(run(jb, sent.map((s) => packet(s, s.seq)), 800))).toEqual([
      ...range(0, 3), 'c', '5', '6', 'c', 'c', ...range(9, 14), 'c', ...range(16, 19),
    ]);
    expect(jb.stats.lost).toBe(4);
    expect(jb.stats.late).toBe(0);
  });

  it('drops a packet that arrives after its slot, counted as late, and raises the target', () => {
    const sent = inOrder(20).map((s) => (s.seq === 5 ? { ...s, arrivalMs: s.arrivalMs + 200 } : s));
    const jb = buffer();
    const before = jb.targetMs;
    expect(trace(run(jb, sent.map((s) => packet(s, s.seq)), 800))).toEqual([...range(0, 4), 'c', ...range(6, 19)]);
    expect(jb.stats.late).toBe(1);
    expect(jb.stats.lost).toBe(1);
    expect(jb.stats.targetMs).toBeGreaterThan(before - 1); // bumped by a ptime, then decaying slowly
  });

  it('stalls on an empty buffer so a merely late packet still plays (the delay grows by one slot)', () => {
    const sent = inOrder(20).map((s) => (s.seq >= 5 ? { ...s, arrivalMs: s.arrivalMs + 50 } : s));
    const jb = buffer();
    expect(trace(run(jb, sent.map((s) => packet(s, s.seq)), 800))).toEqual([...range(0, 4), 'c', ...range(5, 19)]);
    expect(jb.stats).toMatchObject({ lost: 0, late: 0, underruns: 2 }); // this one and the end of the stream
  });

  it('follows sequence numbers across the 65535 → 0 wrap', () => {
    const jb = buffer();
    const sent = inOrder(20, 65_530).map((s, i) => ({ ...s, seq: s.seq & 0xffff, timestamp: (0xffffff00 + i * SPP) >>> 0 }));
    const expected = Array.from({ length: 20 }, (_, i) => String((65_530 + i) & 0xffff));
    expect(trace(run(jb, make(sent), 800))).toEqual(expected);
    expect(jb.stats).toMatchObject({ lost: 0, late: 0, resyncs: 0 });
  });

  it('does not count a DTX pause (timestamp jump at a marker) as loss', () => {
    const spurt1 = inOrder(10);
    // 1 s of silence: the next packet keeps the sequence going but its timestamp jumps by the silence.
    const spurt2 = Array.from({ length: 10 }, (_, i) => ({
      seq: 10 + i,
      arrivalMs: 1200 + i * PTIME,
      timestamp: (10 + 50 + i) * SPP,
      marker: i === 0,
    }));
    const jb = buffer();
    const outputs = run(jb, make([...spurt1, ...spurt2]), 1800);
    const audio = outputs.filter((o) => o.out.kind === 'audio').map((o) => (o.out.kind === 'audio' ? o.out.seq : -1));
    expect(audio).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(jb.stats.lost).toBe(0);
    expect(jb.stats.late).toBe(0);
    const second = outputs.find((o) => o.out.kind === 'audio' && o.out.seq === 10);
    expect(second?.t).toBe(1240); // re-buffered at the talk spurt: waits the target again
  });

  it('plays a short silence gap inside the stream as empty slots, not concealment', () => {
    const sent = inOrder(20).map((s) => ({ ...s, timestamp: (s.seq < 10 ? s.seq : s.seq + 3) * SPP, arrivalMs: s.seq < 10 ? s.arrivalMs : s.arrivalMs + 60, marker: s.seq === 10 }));
    const jb = buffer({ maxConcealMs: 0 });
    const t = trace(run(jb, make(sent), 800));
    expect(t.filter((m) => m === 'c')).toEqual([]);
    expect(t.filter((m) => m !== '_')).toEqual(range(0, 19));
    expect(jb.stats.lost).toBe(0);
  });

  it('resyncs on an SSRC change and on a confirmed sequence jump', () => {
    const jb = buffer();
    const a = inOrder(10).map((s) => ({ ...s, ssrc: 1 }));
    const b = inOrder(10, 40_000, 200).map((s) => ({ ...s, ssrc: 2 }));
    const outputs = run(jb, make([...a, ...b]), 800);
    expect(jb.stats.resyncs).toBe(1);
    expect(outputs.filter((o) => o.out.kind === 'audio' && o.out.seq >= 40_000)).toHaveLength(10);

    const jb2 = buffer();
    const c = [...inOrder(10), { seq: 30_000, arrivalMs: 200 }, ...inOrder(10, 50_000, 220)];
    const out2 = run(jb2, c.map((s, i) => packet(s, i)), 1000);
    expect(jb2.stats.resyncs).toBe(1); // the stray 30000 was not confirmed; 50000 → 50001 was
    const played = out2.flatMap((o) => (o.out.kind === 'audio' ? [o.out.seq] : []));
    expect(played).not.toContain(30_000);
    expect(played.filter((s) => s >= 50_000)).toHaveLength(10);
  });

  it('never holds more than its capacity: oldest dropped and counted', () => {
    const jb = buffer({ capacity: 16 });
    for (let i = 0; i < 100; i++) jb.push(packet({ seq: i, arrivalMs: 0 }, i));
    expect(jb.stats.overflowDropped).toBe(84);
    expect(jb.stats.depthMs).toBe(16 * PTIME);
    const played: number[] = [];
    for (let t = 0; t < 1000; t += PTIME) {
      const out = jb.pop(t);
      if (out.kind === 'audio') played.push(out.seq);
    }
    expect(played[0]).toBe(84);
    expect(played.at(-1)).toBe(99);
  });

  it('raises the target quickly as jitter ramps up, within the configured bounds', () => {
    const random = prng(7);
    const jb = buffer({ minDelayMs: 20, maxDelayMs: 200 });
    const targets: number[] = [];
    let t = 0;
    let seq = 0;
    // 10 s in five 2 s stages of uniform extra delay: 0, 20, 50, 100, 400 ms.
    const sent: Sent[] = [];
    for (const spread of [0, 20, 50, 100, 400]) {
      for (let i = 0; i < 100; i++, seq++) sent.push({ seq, arrivalMs: seq * PTIME + random() * spread });
    }
    const arrivals = make(sent).sort((a, b) => a.arrivalMs - b.arrivalMs);
    let i = 0;
    for (; t <= 10_400; t += PTIME) {
      for (let next = arrivals[i]; next !== undefined && next.arrivalMs <= t; next = arrivals[++i]) jb.push(next);
      jb.pop(t);
      if (t % 2000 === 1980) targets.push(jb.targetMs);
    }
    expect(targets).toHaveLength(5);
    expect(targets[0]).toBeLessThan(41);
    for (let s = 1; s < 4; s++) expect(targets[s]).toBeGreaterThan(targets[s - 1] ?? Infinity);
    expect(targets[2]).toBeGreaterThanOrEqual(50); // covers a 50 ms spread
    expect(targets[4]).toBe(200); // clamped at maxDelayMs
    expect(Math.max(...targets)).toBeLessThanOrEqual(200);
  });

  it('shrinks the target and the real delay slowly during a calm period', () => {
    const random = prng(11);
    const jb = buffer();
    const sent: Sent[] = [];
    for (let seq = 0; seq < 250; seq++) sent.push({ seq, arrivalMs: seq * PTIME + random() * 80 }); // 5 s rough
    for (let seq = 250; seq < 2000; seq++) sent.push({ seq, arrivalMs: seq * PTIME + 3 }); // 35 s calm
    const arrivals = make(sent).sort((a, b) => a.arrivalMs - b.arrivalMs);
    let i = 0;
    let rough = 0;
    let afterOneSecond = 0;
    let lastDelay = 0;
    for (let t = 0; t <= 40_100; t += PTIME) {
      for (let next = arrivals[i]; next !== undefined && next.arrivalMs <= t; next = arrivals[++i]) jb.push(next);
      const out = jb.pop(t);
      if (t === 5000) rough = jb.targetMs;
      if (t === 6000) afterOneSecond = jb.targetMs;
      if (out.kind === 'audio') lastDelay = t - (arrivals.find((p) => p.seq === out.seq)?.arrivalMs ?? 0);
    }
    expect(rough).toBeGreaterThan(80);
    expect(afterOneSecond).toBeLessThan(rough); // shrinking…
    expect(afterOneSecond).toBeGreaterThan(rough - 20); // …slowly
    expect(jb.targetMs).toBe(20);
    expect(lastDelay).toBeLessThanOrEqual(40); // the real delay followed (packets skipped while too deep)
    expect(jb.stats.skipped).toBeGreaterThan(0);
  });

  it('plays a real capture (30 ms G.711 with real arrival times) without loss, shrinking to the minimum delay', () => {
    const records = readPcapUdp('/usr/share/sip-tester/g711a.pcap');
    const t0 = records[0]?.timeMs ?? 0;
    const jb = new JitterBuffer({ ptimeMs: 30, clockRate: 8000 });
    let played = 0;
    let i = 0;
    for (let t = 0; t <= (records.at(-1)?.timeMs ?? 0) - t0 + 300; t += 30) {
      for (let r = records[i]; r !== undefined && r.timeMs - t0 <= t; r = records[++i]) {
        const p = parseRtp(r.payload);
        if (p !== undefined) jb.push({ seq: p.sequenceNumber, timestamp: p.timestamp, payload: p.payload, arrivalMs: r.timeMs - t0, marker: p.marker, ssrc: p.ssrc });
      }
      if (jb.pop(t).kind === 'audio') played++;
    }
    // Started 60 ms deep (first pop after the 40 ms start delay); the target decays to 20 and one packet is skipped.
    expect(jb.stats).toMatchObject({ lost: 0, late: 0, duplicates: 0, resyncs: 0, skipped: 1, targetMs: 20 });
    expect(played).toBe(records.length - 1);
  });

  it('plays every packet of a steady stream whose arrivals jitter ±2 ms around any phase of the pop schedule', () => {
    const random = prng(20);
    for (const phase of [0, 5, 10, 15, 19]) {
      const jb = new JitterBuffer({ ptimeMs: 20, clockRate: 8000, startDelayMs: 40, minDelayMs: 20 });
      let conceals = 0;
      let t = 0;
      let k = 0;
      for (let slot = 0; slot < 1500; slot++, t += 20) {
        // Packets are sent every 20 ms and arrive `phase` ms into a pop interval, give or take 2 ms: near a pop
        // boundary some just make a pop and others just miss it, so waits differ by a whole ptime.
        for (let arrival = k * 20 + phase + (random() * 4 - 2); arrival <= t; arrival = k * 20 + phase + (random() * 4 - 2)) {
          jb.push({ seq: k, timestamp: k * 160, payload: new Uint8Array(160), arrivalMs: arrival, marker: k === 0 });
          k++;
        }
        if (jb.pop(t).kind === 'conceal') conceals++;
      }
      expect({ phase, conceals, lost: jb.stats.lost }).toEqual({ phase, conceals: 0, lost: 0 });
    }
  });

  it('waits for a quiet moment to skip, so a depth change never cuts a word (at most 2 s)', () => {
    const run = (quietAt: (tick: number) => boolean): number[] => {
      const jb = new JitterBuffer({ ptimeMs: 20, clockRate: 8000, startDelayMs: 60, minDelayMs: 20 });
      const skippedAt: number[] = [];
      for (let k = 0; k < 400; k++) {
        jb.push({ seq: k, timestamp: k * 160, payload: new Uint8Array(160), arrivalMs: k * 20, marker: k === 0 });
        const before = jb.stats.skipped;
        jb.pop(k * 20, quietAt(k));
        if (jb.stats.skipped > before) skippedAt.push(k);
      }
      return skippedAt;
    };
    const always = run(() => true);
    expect(always.length).toBeGreaterThan(0);
    const first = always[0] ?? 0;
    // Speech until tick first+30, then a pause: the skip lands in the pause.
    const gated = run((k) => k >= first + 30);
    expect(gated[0]).toBe(first + 30);
    // Never quiet: the skip still happens, 100 pops after it was wanted.
    const forced = run(() => false);
    expect(forced[0]).toBeGreaterThan(first);
    expect(forced[0]).toBeLessThanOrEqual(first + 100);
  });

  it('survives random input (wild seqs, timestamps, SSRCs) without throwing or growing past its capacity', () => {
    const random = prng(4733);
    const jb = buffer({ capacity: 20 });
    let seq = 0;
    for (let t = 0; t < 200_000; t += PTIME) {
      for (let k = Math.floor(random() * 3); k > 0; k--) {
        const r = random();
        seq = r < 0.01 ? Math.floor(random() * 65536) : r < 0.1 ? seq + Math.floor(random() * 40) - 20 : seq + 1;
        jb.push({
          seq: seq & 0xffff,
          timestamp: random() < 0.02 ? Math.floor(random() * 2 ** 32) : (seq * SPP) >>> 0,
          payload: new Uint8Array(1),
          arrivalMs: t - random() * 100,
          marker: random() < 0.05,
          ssrc: random() < 0.001 ? 2 : 1,
        });
      }
      jb.pop(t);
      expect(jb.stats.depthMs).toBeLessThanOrEqual(20 * PTIME);
    }
    const s = jb.stats;
    expect(s.targetMs).toBeGreaterThanOrEqual(20);
    expect(s.targetMs).toBeLessThanOrEqual(200);
    expect(s.resyncs).toBeGreaterThan(0);
  });
});
