import { describe, expect, it } from 'vitest';
import { prng } from '../../../test/helpers/prng.js';
import { PlayoutClock, RtpStreamState } from './pacer.js';

describe('PlayoutClock + RtpStreamState', () => {
  it('plays an hour with ±5 ms callback jitter: 180,000 packets, +160 each, continuous seq, zero drift', () => {
    const random = prng(20);
    const startMs = 1_234.5; // an arbitrary monotonic origin
    const hourMs = 3_600_000;
    const clock = new PlayoutClock(startMs, { ptimeMs: 20, maxCatchUpTicks: 3 });
    const stream = new RtpStreamState({ payloadType: 0, clockRate: 8000, ptimeMs: 20, random: prng(1) });
    const firstSeq = stream.sequenceNumber;
    const firstTs = stream.timestamp;

    let packets = 0;
    let prevSeq = -1;
    let prevTs = -1;
    let badSeq = 0;
    let badTs = 0;
    let markers = 0;
    let maxPerPoll = 0;
    let wraps = 0;
    let now = startMs;
    // The shared media clock wakes every 10 ms, each wake-up early or late by up to 5 ms.
    for (let j = 0; j < hourMs / 10; j++) {
      now = Math.max(now, Math.min(startMs + hourMs - 0.001, startMs + j * 10 + (random() * 10 - 5)));
      const due = clock.poll(now);
      stream.skip(due.skipped);
      maxPerPoll = Math.max(maxPerPoll, due.ticks);
      for (let i = 0; i < due.ticks; i++) {
        const h = stream.packet({ payloadBytes: 160 });
        if (h.marker) markers++;
        if (prevSeq >= 0) {
          if (h.sequenceNumber !== ((prevSeq + 1) & 0xffff)) badSeq++;
          if (h.sequenceNumber === 0) wraps++;
          if (((h.timestamp - prevTs) >>> 0) !== 160) badTs++;
        }
        prevSeq = h.sequenceNumber;
        prevTs = h.timestamp;
        packets++;
        stream.endTick();
      }
    }
    expect(packets).toBe(180_000);
    expect(badSeq).toBe(0);
    expect(badTs).toBe(0);
    expect(wraps).toBe(2); // 180,000 packets cross 65535 → 0 twice or three times; with seed 1, twice
    expect(markers).toBe(1); // one talk spurt
    expect(maxPerPoll).toBe(1);
    expect(clock.stats).toEqual({ ticks: 180_000, skippedTicks: 0, reanchors: 0 });
    // Zero drift: the next tick is due exactly one hour after the start, and the timestamp says the same.
    expect(clock.nextDueMs).toBe(startMs + hourMs);
    expect((stream.timestamp - firstTs) >>> 0).toBe((180_000 * 160) % 2 ** 32);
    expect(stream.sequenceNumber).toBe((firstSeq + 180_000) & 0xffff);
    expect(stream.octetsSent).toBe(180_000 * 160);
  });

  it('after a 300 ms stall catches up by at most the configured burst, skips the rest, keeps the schedule', () => {
    const clock = new PlayoutClock(0, { ptimeMs: 20, maxCatchUpTicks: 3 });
    const stream = new RtpStreamState({ payloadType: 8, initialSequence: 100, initialTimestamp: 0, ssrc: 7 });
    const sent: { seq: number; ts: number; marker: boolean }[] = [];
    const step = (now: number): number => {
      const due = clock.poll(now);
      stream.skip(due.skipped);
      for (let i = 0; i < due.ticks; i++) {
        const h = stream.packet();
        sent.push({ seq: h.sequenceNumber, ts: h.timestamp, marker: h.marker });
        stream.endTick();
      }
      return due.ticks;
    };
    for (let t = 0; t <= 100; t += 10) step(t); // ticks 0..5
    expect(sent).toHaveLength(6);
    expect(step(400)).toBe(3); // 300 ms stall: ticks 6..20 due (15); 3 released, 12 skipped
    expect(clock.stats).toEqual({ ticks: 9, skippedTicks: 12, reanchors: 1 });
    expect(clock.nextDueMs).toBe(420); // same 20 ms grid
    expect(step(410)).toBe(0);
    expect(step(420)).toBe(1);
    // Sequence numbers stay continuous; the timestamps jump over the skipped 12 ticks, and a new spurt is marked.
    expect(sent.map((s) => s.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 100 + i));
    expect(sent.map((s) => s.ts)).toEqual([0, 160, 320, 480, 640, 800, 2880, 3040, 3200, 3360]);
    expect(sent.map((s) => s.marker)).toEqual([true, false, false, false, false, false, true, false, false, false]);
  });

  it('keeps the timestamp running through silence and marks each talk spurt', () => {
    const stream = new RtpStreamState({ payloadType: 0, initialSequence: 65_534, initialTimestamp: 0xffffff00, ssrc: 1 });
    const out: string[] = [];
    const plan = ['audio', 'audio', 'silence', 'silence', 'audio', 'cn', 'audio'];
    for (const what of plan) {
      if (what === 'audio') {
        const h = stream.packet();
        out.push(`${h.sequenceNumber}/${h.timestamp}/${h.marker ? 'M' : '-'}`);
      } else if (what === 'cn') {
        const h = stream.packet({ payloadType: 13, speech: false });
        out.push(`${h.sequenceNumber}/${h.timestamp}/${h.marker ? 'M' : '-'}/cn`);
      }
      stream.endTick();
    }
    expect(out).toEqual([
      '65534/4294967040/M',
      '65535/4294967200/-',
      '0/384/M', // 2 silent ticks: +480 from the last packet, across the 32-bit wrap
      '1/544/-/cn',
      '2/704/M', // the CN tick had no speech: a new spurt
    ]);
    stream.startTalkspurt(); // a barge-in flush
    expect(stream.packet().marker).toBe(true);
  });

  it('carries a telephone-event timestamp override without disturbing the audio clock', () => {
    const stream = new RtpStreamState({ payloadType: 0, initialSequence: 0, initialTimestamp: 1000, ssrc: 1 });
    const eventTs = stream.timestamp;
    const dtmf = [0, 1, 2].map(() => {
      const h = stream.packet({ payloadType: 101, timestamp: eventTs, marker: false, speech: false });
      stream.endTick();
      return h;
    });
    expect(dtmf.map((h) => [h.payloadType, h.timestamp, h.sequenceNumber])).toEqual([
      [101, 1000, 0],
      [101, 1000, 1],
      [101, 1000, 2],
    ]);
    expect(stream.packet()).toEqual({ payloadType: 0, marker: true, sequenceNumber: 3, timestamp: 1480, ssrc: 1 });
  });

  it('a codec change keeps the SSRC, sequence, timestamp and counts, and ticks at the new rate from then on', () => {
    const stream = new RtpStreamState({ payloadType: 0, clockRate: 8000, ptimeMs: 20, initialSequence: 10, initialTimestamp: 0, ssrc: 9 });
    stream.packet({ payloadBytes: 160 });
    stream.endTick();
    stream.recode({ payloadType: 111, clockRate: 48_000, ptimeMs: 20 });
    expect([stream.payloadType, stream.clockRate, stream.samplesPerTick]).toEqual([111, 48_000, 960]);
    expect(stream.packet({ payloadBytes: 60 })).toEqual({ payloadType: 111, marker: true, sequenceNumber: 11, timestamp: 160, ssrc: 9 });
    stream.endTick();
    expect(stream.timestamp).toBe(160 + 960);
    // A sender report counts every packet of the SSRC, before the change and after it.
    expect([stream.packetsSent, stream.octetsSent]).toEqual([2, 220]);
  });

  it('picks random initial SSRC, sequence number and timestamp', () => {
    const a = new RtpStreamState({ payloadType: 0 });
    const b = new RtpStreamState({ payloadType: 0 });
    expect([a.ssrc, a.sequenceNumber, a.timestamp]).not.toEqual([b.ssrc, b.sequenceNumber, b.timestamp]);
    for (const s of [a, b]) {
      expect(s.ssrc).toBeGreaterThanOrEqual(0);
      expect(s.ssrc).toBeLessThan(2 ** 32);
      expect(s.sequenceNumber).toBeLessThan(0x10000);
    }
    const c = new RtpStreamState({ payloadType: 0, random: prng(5) });
    const d = new RtpStreamState({ payloadType: 0, random: prng(5) });
    expect([c.ssrc, c.sequenceNumber, c.timestamp]).toEqual([d.ssrc, d.sequenceNumber, d.timestamp]);
  });
});
