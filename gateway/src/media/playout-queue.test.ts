import { describe, expect, it } from 'vitest';
import { CONTINUOUS_EXCESS_PACKETS, CONTINUOUS_FORCE_TRIM_AFTER, CONTINUOUS_PAUSE_PACKETS, CONTINUOUS_TRIM_EVERY, PlayoutQueue, wholeMs } from './playout-queue.js';

const ramp = (n: number, from = 1): Int16Array => Int16Array.from({ length: n }, (_, i) => from + i);

describe('PlayoutQueue', () => {
  it('plays in exact packets after the lead, with the marker on the first packet only', () => {
    const q = new PlayoutQueue({ maxSamples: 24_000, leadSamples: 960 });
    q.push(ramp(480));
    expect(q.take(480)).toBeUndefined(); // below the lead, agent may still be sending
    q.push(ramp(1000, 481));
    const first = q.take(480);
    expect(first?.spurtStart).toBe(true);
    expect(Array.from(first?.samples.subarray(0, 3) ?? [])).toEqual([1, 2, 3]);
    const second = q.take(480);
    expect(second?.spurtStart).toBe(false);
    expect(second?.samples[0]).toBe(481);
    expect(q.playedSamples).toBe(960);
  });

  it('takes a packet inside one chunk as a view of it and one across chunks as a copy, with the same samples and counts', () => {
    const q = new PlayoutQueue({ maxSamples: 24_000, leadSamples: 0 });
    const chunk = ramp(1200);
    q.push(chunk, 5);
    q.push(ramp(480, 1201), 7);
    const first = q.take(480);
    expect(first?.samples.buffer).toBe(chunk.buffer); // inside the first chunk: no copy
    expect(Array.from(first?.samples ?? [])).toEqual(Array.from(ramp(480)));
    expect(first?.chunkArrivals).toEqual([5]);
    expect(q.take(480)?.chunkArrivals).toEqual([]); // the same chunk, already begun
    const across = q.take(480); // the last 240 of the first chunk and the first 240 of the second
    expect(across?.samples.buffer).not.toBe(chunk.buffer);
    expect(Array.from(across?.samples ?? [])).toEqual(Array.from(ramp(480, 961)));
    expect(across?.chunkArrivals).toEqual([7]);
    expect(across?.marks).toEqual([]);
    expect(q.playedSamples).toBe(1440);
    expect(q.queuedSamples).toBe(240);
    expect(Array.from(chunk)).toEqual(Array.from(ramp(1200))); // the agent's chunk is untouched
  });

  it('starts a short utterance below the lead after one idle tick, and pads only the tail', () => {
    const q = new PlayoutQueue({ maxSamples: 24_000, leadSamples: 960 });
    q.push(ramp(600));
    expect(q.take(480)).toBeUndefined();
    expect(q.take(480)?.spurtStart).toBe(true);
    expect(q.take(480)).toBeUndefined(); // 120 left: wait one tick for more
    const tail = q.take(480);
    expect(tail?.samples[119]).toBe(600);
    expect(tail?.samples[120]).toBe(0);
    expect(q.playedSamples).toBe(600); // padding is not agent audio
    expect(q.take(480)).toBeUndefined();
    expect(q.active).toBe(false);
  });

  it('acknowledges a mark exactly when the audio before it has been taken, with that position', () => {
    const q = new PlayoutQueue({ maxSamples: 24_000, leadSamples: 0 });
    q.push(ramp(720));
    expect(q.mark('a')).toBeUndefined();
    q.push(ramp(480));
    expect(q.mark('b')).toBeUndefined();
    expect(q.take(480)?.marks).toEqual([]);
    expect(q.take(480)?.marks).toEqual([{ name: 'a', status: 'played', playedSamples: 720 }]);
    expect(q.take(480)).toBeUndefined(); // 240 left mid-spurt: one tick for the agent to send more
    expect(q.take(480)?.marks).toEqual([{ name: 'b', status: 'played', playedSamples: 1200 }]);
    expect(q.mark('idle')).toEqual({ name: 'idle', status: 'played', playedSamples: 1200 });
  });

  it('clear drops the rest, reports pending marks cleared (never played) and starts a new turn', () => {
    const q = new PlayoutQueue({ maxSamples: 24_000, leadSamples: 0 });
    q.push(ramp(2400));
    q.mark('end');
    q.take(480);
    q.take(480);
    expect(q.clear()).toEqual({
      droppedSamples: 1440,
      playedSamples: 960,
      itemPlayedSamples: 960,
      afterMark: undefined,
      marks: [{ name: 'end', status: 'cleared', playedSamples: 960 }],
    });
    expect(q.queuedSamples).toBe(0);
    q.push(ramp(480, 7));
    const next = q.take(480);
    expect(next?.spurtStart).toBe(true);
    expect(next?.samples[0]).toBe(7);
    expect(q.playedSamples).toBe(480);
  });

  it('is bounded: audio beyond maxSamples is refused and counted', () => {
    const q = new PlayoutQueue({ maxSamples: 1000, leadSamples: 0 });
    expect(q.push(ramp(800))).toBe(0);
    expect(q.push(ramp(800))).toBe(600);
    expect(q.queuedSamples).toBe(1000);
    expect(q.overflowSamples).toBe(600);
  });

  it('reports the cut item\'s own position: played since the turn\'s last played mark, not since the turn began', () => {
    // Two items in one turn, a mark after each (as the OpenAI Realtime adapter does): 3,056 ms, then 3,060 ms.
    const q = new PlayoutQueue({ maxSamples: 24_000 * 10, leadSamples: 0 });
    q.push(new Int16Array(3_056 * 24));
    q.mark('response-1');
    q.push(new Int16Array(3_060 * 24));
    q.mark('response-2');
    const reached: string[] = [];
    // 250 packets = 5,000 ms of the turn: all of item 1, then 1,944 ms of item 2.
    for (let i = 0; i < 250; i++) reached.push(...(q.take(480)?.marks ?? []).map((m) => m.name));
    expect(reached).toEqual(['response-1']);
    const cut = q.clear();
    expect(cut.playedSamples).toBe(5_000 * 24); // the turn: both items
    expect(cut.itemPlayedSamples).toBe((5_000 - 3_056) * 24); // inside item 2
    expect(cut.afterMark).toBe('response-1');
    expect(cut.marks.map((m) => m.name)).toEqual(['response-2']);
    // The next turn starts from nothing: no mark yet, the item is the turn.
    q.push(new Int16Array(960));
    q.take(480);
    expect(q.clear()).toMatchObject({ playedSamples: 480, itemPlayedSamples: 480, afterMark: undefined });
  });

  it('counts from a mark reached at once (nothing queued) like any other', () => {
    const q = new PlayoutQueue({ maxSamples: 24_000, leadSamples: 0 });
    q.push(new Int16Array(960));
    q.take(480);
    q.take(480);
    expect(q.mark('idle')).toEqual({ name: 'idle', status: 'played', playedSamples: 960 });
    q.push(new Int16Array(960));
    q.take(480);
    expect(q.clear()).toMatchObject({ playedSamples: 1440, itemPlayedSamples: 480, afterMark: 'idle' });
  });

  it('turns samples into whole ms by rounding down: 118,940 samples are 4,955 ms, not 4,956', () => {
    expect(wholeMs(118_940)).toBe(4_955);
    expect(wholeMs(24)).toBe(1);
    expect(wholeMs(23)).toBe(0);
    expect(wholeMs(120_000)).toBe(5_000);
    // A mark after 118,940 samples comes back at that position; its playedMs is wholeMs of it.
    const q = new PlayoutQueue({ maxSamples: 24_000 * 10, leadSamples: 0 });
    q.push(new Int16Array(118_940));
    q.mark('m');
    const marks: { name: string; playedSamples: number }[] = [];
    for (let i = 0; i < 250 && marks.length === 0; i++) marks.push(...(q.take(480)?.marks ?? []));
    expect(marks).toEqual([{ name: 'm', status: 'played', playedSamples: 118_940 }]);
  });
});

describe('PlayoutQueue, a continuous source (a bridged leg)', () => {
  const PACKET = 480;
  const frame = (v: number): Int16Array => new Int16Array(PACKET).fill(v);

  it('starts a spurt only with the whole lead, however many ticks it waits', () => {
    const q = new PlayoutQueue({ maxSamples: 24_000, leadSamples: 2 * PACKET, continuous: true });
    q.push(frame(1));
    for (let i = 0; i < 5; i++) expect(q.take(PACKET)).toBeUndefined();
    q.push(frame(2));
    expect(q.take(PACKET)?.spurtStart).toBe(true);
    // The agent-spurt default starts after one tick's wait with less than the lead.
    const spurts = new PlayoutQueue({ maxSamples: 24_000, leadSamples: 2 * PACKET });
    spurts.push(frame(1));
    expect(spurts.take(PACKET)).toBeUndefined();
    expect(spurts.take(PACKET)?.spurtStart).toBe(true);
  });

  /** One packet in and one out per tick from a 12-packet backlog; `loud(n)`: whether packet n is speech. */
  function run(loud: (n: number) => boolean, ticks: number) {
    const q = new PlayoutQueue({ maxSamples: 48_000, leadSamples: 2 * PACKET, continuous: true });
    // Packet n holds n (quiet: below −40 dBFS) or 1000 + n (loud).
    const packet = (n: number): Int16Array => frame(loud(n) ? 1_000 + n : n % 300);
    let next = 0;
    for (; next < 12; next++) q.push(packet(next));
    const played: number[] = [];
    for (let tick = 0; tick < ticks; tick++) {
      q.push(packet(next++));
      const out = q.take(PACKET);
      if (out) played.push(out.samples[0] ?? -1);
    }
    const trimmedAt = played.slice(1).flatMap((v, i) => ((v % 1_000) % 300 !== (((played[i] ?? 0) % 1_000) + 1) % 300 ? [i] : []));
    return { q, trimmedAt, played };
  }

  it('trims a quiet backlog beyond the lead plus CONTINUOUS_EXCESS_PACKETS once a pause is played, then one packet per CONTINUOUS_TRIM_EVERY takes', () => {
    const { q, trimmedAt, played } = run(() => false, 600);
    // 13 packets before the first take; trimmed while a take finds lead + excess + 1 (2 + 3 + 1 = 6) or more: 8
    // packets, the first once CONTINUOUS_PAUSE_PACKETS quiet ones have played, then one per CONTINUOUS_TRIM_EVERY
    // takes, leaving 5 before each take.
    expect(q.trimmedSamples).toBe(8 * PACKET);
    expect(q.queuedSamples).toBe((2 + CONTINUOUS_EXCESS_PACKETS - 1) * PACKET);
    expect(played.slice(0, CONTINUOUS_PAUSE_PACKETS + 1)).toEqual([0, 1, 2, 4]);
    expect(trimmedAt[0]).toBe(CONTINUOUS_PAUSE_PACKETS - 1);
    for (let i = 1; i < trimmedAt.length; i++) expect((trimmedAt[i] ?? 0) - (trimmedAt[i - 1] ?? 0)).toBe(CONTINUOUS_TRIM_EVERY);
  });

  it('trims speech only in its pauses, never in a quiet packet inside a word, unless no pause comes for CONTINUOUS_FORCE_TRIM_AFTER takes', () => {
    // Speech with one quiet packet every 20 (a stop consonant), and from packet 100 on a 5-packet pause every 80.
    const loud = (n: number): boolean => n % 20 !== 0 && (n < 100 || n % 80 >= 5);
    const paused = run(loud, 240);
    expect(paused.q.trimmedSamples).toBeGreaterThan(0);
    for (const i of paused.trimmedAt) expect(loud(paused.played[i + 1]! % 1_000 - 1), `trim before ${paused.played[i + 1]}`).toBe(false);
    const words = run((n) => n % 20 !== 0, CONTINUOUS_FORCE_TRIM_AFTER - 1);
    expect(words.q.trimmedSamples).toBe(0);
    // Never a pause: the backlog stays until CONTINUOUS_FORCE_TRIM_AFTER takes have passed, then goes one a second.
    const talking = run(() => true, CONTINUOUS_FORCE_TRIM_AFTER - 1);
    expect(talking.q.trimmedSamples).toBe(0);
    const forced = run(() => true, CONTINUOUS_FORCE_TRIM_AFTER + 10);
    expect(forced.q.trimmedSamples).toBe(PACKET);
  });

  it('never trims an agent\'s talk spurts (the default)', () => {
    const q = new PlayoutQueue({ maxSamples: 48_000, leadSamples: 2 * PACKET });
    for (let i = 0; i < 20; i++) q.push(frame(i));
    for (let tick = 0; tick < 200; tick++) {
      q.push(frame(tick));
      q.take(PACKET);
    }
    expect(q.trimmedSamples).toBe(0);
    expect(q.queuedSamples).toBe(20 * PACKET);
  });
});
