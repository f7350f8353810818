import { createDecoder, createEncoder } from '@patchbay/gateway';
import { describe, expect, it } from 'vitest';
import { locateMarker, MarkerTracker, TurnTracker } from '../src/load/markers.js';
import { echoLoop, ECHO_LOOP_PACKETS, markerTemplate, SAMPLES_PER_PACKET } from '../src/load/signals.js';

describe('locateMarker', () => {
  it('finds the chirp where it was put, through µ-law', () => {
    const template = markerTemplate();
    const signal = new Int16Array(800);
    signal.set(template, 333);
    const coded = createDecoder('PCMU').decode(createEncoder('PCMU').encode(signal));
    const match = locateMarker(coded, template);
    expect(match.index).toBe(333);
    expect(match.ncc).toBeGreaterThan(0.99);
  });
});

/**
 * Feed a received stream built from the echo loop delayed by `delaySamples`, packets arriving every 20 ms, through
 * µ-law; `receiveDelayMs` is what the tracker is told its receiver added.
 */
function runEcho(delaySamples: number, networkMs: number, receiveDelayMs?: number): number[] {
  const loop = echoLoop();
  const sentMs = (i: number): number | undefined => (i < 10 * ECHO_LOOP_PACKETS ? 1000 + i * 20 : undefined);
  const found: number[] = [];
  const tracker = new MarkerTracker(
    {
      template: markerTemplate(), periodPackets: ECHO_LOOP_PACKETS, triggerPeak: 3000, minNcc: 0.5,
      ...(receiveDelayMs === undefined ? {} : { receiveDelayMs }),
    },
    sentMs,
    (ms) => found.push(ms),
  );
  const total = 3 * ECHO_LOOP_PACKETS;
  const stream = new Int16Array(total * SAMPLES_PER_PACKET + delaySamples);
  for (let k = 0; k < 3; k++) stream.set(loop, delaySamples + k * loop.length);
  const encoder = createEncoder('PCMU');
  const decoder = createDecoder('PCMU');
  for (let p = 0; p < total; p++) {
    const pcm = decoder.decode(encoder.encode(stream.subarray(p * SAMPLES_PER_PACKET, (p + 1) * SAMPLES_PER_PACKET)));
    const peak = pcm.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    tracker.push(pcm, peak, 1000 + p * 20 + networkMs);
  }
  return found;
}

describe('MarkerTracker', () => {
  it('pairs each heard marker with the one sent before it: delay = samples/8 + network', () => {
    // The first marker arrives before the tracker has the packets before it: it is skipped, the others count.
    const found = runEcho(44, 60); // 5.5 ms of codec delay, 60 ms on the wire
    expect(found.length).toBe(2);
    for (const ms of found) expect(ms).toBeCloseTo(65.5, 3);
  });

  it('measures a delay longer than a packet', () => {
    const found = runEcho(400, 0); // 50 ms in the audio itself
    expect(found.length).toBe(3);
    for (const ms of found) expect(ms).toBeCloseTo(50, 3);
  });

  it("takes the receiver's own delay back from every round trip", () => {
    // 5.5 ms in the audio, 4 of them added by the receiver's downsampler: 1.5 ms of codec delay + 60 on the wire.
    const found = runEcho(44, 60, 4);
    expect(found.length).toBe(2);
    for (const ms of found) expect(ms).toBeCloseTo(61.5, 3);
  });
});

describe('TurnTracker', () => {
  it('times end of utterance → first loud packet, once per turn', () => {
    const sentMs = (i: number): number | undefined => (i < 1000 ? i * 20 : undefined);
    const turns: number[] = [];
    // cycles of 100 packets, utterance in packets 0..59: utterance k ends at (k*100 + 60) * 20 ms
    const tracker = new TurnTracker(100, 60, 2000, sentMs, (ms) => turns.push(ms));
    tracker.push(9000, 500); // loud while the caller still talks: not an answer
    tracker.push(9000, 1200 + 350);
    tracker.push(9000, 1200 + 370); // the rest of the same answer
    tracker.push(100, 3200 + 100); // quiet
    tracker.push(9000, 3200 + 410);
    expect(turns).toEqual([350, 410]);
  });
});
