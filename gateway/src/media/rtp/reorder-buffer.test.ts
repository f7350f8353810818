import { describe, expect, it } from 'vitest';
import type { JitterOutput, JitterPacket } from './jitter-buffer.js';
import { ReorderBuffer, type ReorderBufferOptions } from './reorder-buffer.js';

const PTIME = 20;
const SSRC = 0x1234;

/** A packet whose payload carries its own seq, so outputs can be checked against what was sent. */
function packet(seq: number, arrivalMs: number, ssrc = SSRC): JitterPacket {
  return { seq: seq & 0xffff, timestamp: (seq * 160) >>> 0, payload: new Uint8Array([seq & 0xff, (seq >> 8) & 0xff]), arrivalMs, marker: false, ssrc };
}

/** Outputs as compact marks: the seq of audio, `c` for conceal, `_` for silence. */
function marks(outputs: readonly JitterOutput[]): string[] {
  return outputs.map((o) => (o.kind === 'audio' ? String(o.seq) : o.kind === 'conceal' ? 'c' : '_'));
}

const buffer = (options: ReorderBufferOptions = {}): ReorderBuffer => new ReorderBuffer({ ptimeMs: PTIME, ...options });

/** Pushes `seqs` in that order, one every PTIME from `startMs`, polling every 2 ms in between; all outputs in order. */
function run(rb: ReorderBuffer, seqs: readonly number[], startMs = 0, pollUntilMs?: number): string[] {
  const out: string[] = [];
  let t = startMs;
  for (const [i, seq] of seqs.entries()) {
    const at = startMs + i * PTIME;
    for (; t < at; t += 2) out.push(...marks(rb.poll(t)));
    out.push(...marks(rb.push(packet(seq, at))));
  }
  if (pollUntilMs !== undefined) for (; t <= pollUntilMs; t += 2) out.push(...marks(rb.poll(t)));
  return out;
}

describe('ReorderBuffer', () => {
  it('hands each in-order packet straight back from push(), with nothing left for the clock', () => {
    const rb = buffer();
    for (let i = 0; i < 50; i++) {
      expect(marks(rb.push(packet(1000 + i, i * PTIME)))).toEqual([String(1000 + i)]);
      // Polls between packets (the media clock's 2 ms ticks) release nothing: the next packet is not overdue.
      for (let t = i * PTIME + 2; t < (i + 1) * PTIME; t += 2) expect(rb.poll(t)).toHaveLength(0);
    }
    expect(rb.stats).toEqual({ depthMs: 0, targetMs: 0, late: 0, duplicates: 0, concealed: 0, lost: 0, underruns: 0, reordered: 0, resyncs: 0 });
  });

  it('returns the audio with its arrival time, for the uplink hop', () => {
    const rb = buffer();
    const out = rb.push(packet(7, 123.5));
    expect(out).toEqual([{ kind: 'audio', payload: new Uint8Array([7, 0]), seq: 7, timestamp: 7 * 160, arrivalMs: 123.5 }]);
  });

  it('holds a packet ahead of a missing one and releases both in order when it comes within the hold', () => {
    const rb = buffer();
    expect(marks(rb.push(packet(0, 0)))).toEqual(['0']);
    expect(marks(rb.push(packet(2, 20)))).toEqual([]);
    expect(rb.stats.depthMs).toBe(2 * PTIME); // 1 (missing) and 2
    expect(rb.poll(30)).toHaveLength(0);
    expect(marks(rb.push(packet(1, 35)))).toEqual(['1', '2']);
    expect(marks(rb.push(packet(3, 40)))).toEqual(['3']);
    expect(rb.stats).toMatchObject({ depthMs: 0, reordered: 1, lost: 0, concealed: 0, late: 0 });
  });

  it('reorders a whole stream swapped pairwise: 0,2,1,4,3,… comes out in order', () => {
    const order = [0, 2, 1, 4, 3, 5, 7, 6, 9, 8, 10, 11];
    const rb = buffer();
    expect(run(rb, order)).toEqual(order.map((_, i) => String(i)));
    expect(rb.stats).toMatchObject({ reordered: 4, lost: 0, late: 0 });
  });

  it('conceals a lost packet when the hold ends on a clock tick, and drops it as late if it comes after', () => {
    const rb = buffer(); // hold: PTIME + 5 = 25 ms
    rb.push(packet(0, 0));
    expect(marks(rb.push(packet(2, 40)))).toEqual([]); // 1 is missing
    expect(rb.poll(64)).toHaveLength(0);
    expect(marks(rb.poll(65))).toEqual(['c', '2']);
    expect(marks(rb.push(packet(1, 70)))).toEqual([]);
    expect(rb.stats).toMatchObject({ lost: 1, concealed: 1, late: 1, depthMs: 0 });
  });

  it('ends the hold early when the next packet arrives after the deadline (no tick in between)', () => {
    const rb = buffer();
    rb.push(packet(0, 0));
    rb.push(packet(2, 40));
    expect(marks(rb.push(packet(3, 70)))).toEqual(['c', '2', '3']);
  });

  it('releases at once, without waiting out the hold, when more than maxHeld packets wait', () => {
    const rb = buffer({ holdMs: 1000 });
    rb.push(packet(0, 0));
    expect(marks(rb.push(packet(2, 20)))).toEqual([]);
    expect(marks(rb.push(packet(3, 21)))).toEqual([]);
    expect(marks(rb.push(packet(4, 22)))).toEqual([]);
    expect(marks(rb.push(packet(5, 23)))).toEqual(['c', '2', '3', '4', '5']);
  });

  it('caps the concealment of a long gap at maxConcealPackets and resyncs to the held packet', () => {
    const rb = buffer();
    rb.push(packet(0, 0));
    expect(marks(rb.push(packet(41, 20)))).toEqual([]); // 40 missing
    expect(marks(rb.poll(46))).toEqual(['c', 'c', 'c', '41']);
    expect(marks(rb.push(packet(42, 40)))).toEqual(['42']);
    expect(rb.stats).toMatchObject({ lost: 40, concealed: 3 });
  });

  it('drops duplicates, whether already played or still held', () => {
    const rb = buffer();
    rb.push(packet(0, 0));
    expect(rb.push(packet(0, 1))).toHaveLength(0);
    rb.push(packet(2, 20));
    expect(rb.push(packet(2, 21))).toHaveLength(0);
    expect(marks(rb.push(packet(1, 22)))).toEqual(['1', '2']);
    expect(rb.stats).toMatchObject({ duplicates: 2, late: 0 });
  });

  it('follows the sequence number across its wrap, in order and reordered', () => {
    const rb = buffer();
    expect(run(rb, [65533, 65534, 65535, 0, 1])).toEqual(['65533', '65534', '65535', '0', '1']);
    const reordered = buffer();
    expect(run(reordered, [65534, 0, 65535, 1, 2])).toEqual(['65534', '65535', '0', '1', '2']);
    expect(reordered.stats).toMatchObject({ reordered: 1, lost: 0, late: 0 });
  });

  it('restarts on a new SSRC: the new stream plays from its first packet, whatever its number', () => {
    const rb = buffer();
    rb.push(packet(100, 0));
    rb.push(packet(102, 20)); // 101 missing, 102 held
    expect(marks(rb.push(packet(5000, 30, 0x9999)))).toEqual(['c', '102', '5000']); // the old stream's held audio plays
    expect(marks(rb.push(packet(5001, 50, 0x9999)))).toEqual(['5001']);
    expect(rb.stats).toMatchObject({ resyncs: 1, lost: 1, late: 0 });
  });

  it('restarts on a large sequence jump once the next packet confirms it; a lone stray is dropped', () => {
    const rb = buffer();
    rb.push(packet(10, 0));
    expect(rb.push(packet(30_000, 20))).toHaveLength(0); // stray (or a restart, not yet confirmed)
    expect(marks(rb.push(packet(11, 21)))).toEqual(['11']);
    expect(rb.push(packet(40_000, 40))).toHaveLength(0);
    expect(marks(rb.push(packet(40_001, 60)))).toEqual(['40000', '40001']);
    expect(rb.stats).toMatchObject({ resyncs: 1, late: 2 }); // both strays were dropped when they came
  });

  it('fills a quiet stream on the clock: silence before the first packet, concealment then silence after audio', () => {
    const rb = buffer(); // fills start 2 × PTIME after the slot was due
    const out: { t: number; mark: string }[] = [];
    const poll = (from: number, to: number): void => {
      for (let t = from; t < to; t += 2) for (const m of marks(rb.poll(t))) out.push({ t, mark: m });
    };
    poll(0, 100); // slot 0 due at 20, filled at 60; slot 1 at 80
    expect(out).toEqual([{ t: 60, mark: '_' }, { t: 80, mark: '_' }]);
    out.length = 0;
    expect(marks(rb.push(packet(0, 100)))).toEqual(['0']);
    poll(100, 260); // the next packet was due at 120: slots filled at 160, 180, … (3 conceals, then silence)
    expect(out.map((o) => o.mark)).toEqual(['c', 'c', 'c', '_', '_']);
    expect(out.map((o) => o.t)).toEqual([160, 180, 200, 220, 240]);
    expect(rb.stats).toMatchObject({ underruns: 1, concealed: 3, lost: 0 });
  });

  it('plays a merely slow packet after its slot was filled (a fill takes no sequence number)', () => {
    const rb = buffer();
    rb.push(packet(0, 0));
    expect(marks(rb.poll(60))).toEqual(['c']); // 1 was due at 20
    expect(marks(rb.push(packet(1, 65)))).toEqual(['1']);
    expect(rb.stats).toMatchObject({ late: 0, lost: 0, concealed: 1, underruns: 1 });
  });

  it('counts fills towards the concealment of a gap that turns out lost', () => {
    const rb = buffer();
    rb.push(packet(0, 0));
    expect(marks(rb.poll(60))).toEqual(['c']); // 1 overdue: filled
    rb.push(packet(3, 70)); // 1 and 2 missing
    expect(marks(rb.poll(95))).toEqual(['c', '3']); // 2 concealments for 2 lost packets in all
    expect(rb.stats).toMatchObject({ lost: 2, concealed: 2 });
  });

  it('does not catch up an event-loop stall slot by slot', () => {
    const rb = buffer();
    rb.push(packet(0, 0));
    expect(marks(rb.poll(1000))).toHaveLength(3);
    expect(rb.poll(1002)).toHaveLength(0);
    expect(marks(rb.poll(1020))).toHaveLength(1);
  });

  it('numbers telephone events with the audio: the audio after a DTMF press is in order, not a gap', () => {
    const rb = buffer();
    rb.push(packet(0, 0));
    rb.push(packet(1, 20));
    for (let seq = 2; seq < 8; seq++) expect(rb.skip({ seq, ssrc: SSRC, arrivalMs: 20 + seq * 10 })).toHaveLength(0);
    expect(marks(rb.push(packet(8, 100)))).toEqual(['8']);
    // Events from another SSRC are not this stream's to number (and do not restart it).
    expect(rb.skip({ seq: 9, ssrc: 0x9999, arrivalMs: 110 })).toHaveLength(0);
    expect(marks(rb.push(packet(9, 120)))).toEqual(['9']);
    expect(rb.stats).toMatchObject({ lost: 0, late: 0, resyncs: 0 });
  });

  it('waits one packet time plus a few ms by default, and follows a new packet time', () => {
    const rb = buffer();
    expect(rb.holdMs).toBe(25);
    rb.ptimeMs = 30;
    expect(rb.holdMs).toBe(35);
    expect(rb.fillAfterMs).toBe(60);
  });
});
