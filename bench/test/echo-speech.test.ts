/**
 * The echo callers' speech with pauses (`echoCycle`): the gateway's own speech detector hears each utterance and
 * never the marker in the pause, and the marker tracker finds the markers behind speech and only after they were sent.
 */
import { loadDemoPrompts } from '@patchbay/agents';
import { createDecoder, createEncoder, loadVad, SpeechDetector, type SpeechEvent } from '@patchbay/gateway';
import { beforeAll, describe, expect, it } from 'vitest';
import { MarkerTracker } from '../src/load/markers.js';
import { decimate24kTo8k, echoCycle, ECHO_MARKER_DELAY_MS, markerTemplate, PACKET_MS, SAMPLES_PER_PACKET } from '../src/load/signals.js';

const peak = (pcm: Int16Array): number => pcm.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const speech = decimate24kTo8k(loadDemoPrompts().welcome);

describe('echoCycle', () => {
  it('is the utterance from packet 0, then a quiet pause with the marker at its packet', () => {
    const c = echoCycle(speech);
    expect(c.utterancePackets).toBe(Math.ceil(speech.length / SAMPLES_PER_PACKET));
    expect(c.markerPacket).toBe(c.utterancePackets + ECHO_MARKER_DELAY_MS / PACKET_MS);
    expect(c.pcm.length).toBe(c.packets * SAMPLES_PER_PACKET);
    expect(Array.from(c.pcm.subarray(0, 400))).toEqual(Array.from(speech.subarray(0, 400)));
    const at = c.markerPacket * SAMPLES_PER_PACKET;
    expect(Array.from(c.pcm.subarray(at, at + SAMPLES_PER_PACKET))).toEqual(Array.from(markerTemplate()));
    expect(peak(c.pcm.subarray(c.utterancePackets * SAMPLES_PER_PACKET, at))).toBeLessThan(100);
    expect(peak(c.pcm.subarray(at + SAMPLES_PER_PACKET))).toBeLessThan(100);
  });

  it('refuses a marker outside the pause', () => {
    expect(() => echoCycle(speech, 400, 500)).toThrow(RangeError);
  });
});

describe('echoCycle through the gateway\'s speech detector (µ-law, as the gateway hears a PCMU caller)', () => {
  beforeAll(async () => {
    await loadVad();
  });

  it('hears speech start in every utterance and never in the pause, marker included', () => {
    const c = echoCycle(speech);
    const cycles = 4;
    const detector = new SpeechDetector({ sampleRate: 8000 });
    const encoder = createEncoder('PCMU');
    const decoder = createDecoder('PCMU');
    const events: SpeechEvent[] = [];
    for (let p = 0; p < cycles * c.packets; p++) {
      const i = p % c.packets;
      const pcm = decoder.decode(encoder.encode(c.pcm.subarray(i * SAMPLES_PER_PACKET, (i + 1) * SAMPLES_PER_PACKET)));
      events.push(...detector.push(pcm, p * PACKET_MS));
    }
    const cycleMs = c.packets * PACKET_MS;
    const onsets = events.filter((e) => e.type === 'speech_started').map((e) => e.atMs);
    for (let k = 0; k < cycles; k++) {
      expect(onsets.some((at) => at >= k * cycleMs && at < k * cycleMs + c.utterancePackets * PACKET_MS)).toBe(true);
    }
    // No onset in any pause: the marker (one 20 ms chirp) never counts as speech.
    for (const at of onsets) expect(at % cycleMs).toBeLessThan(c.utterancePackets * PACKET_MS);
  });
});

describe('MarkerTracker with an offset marker behind speech', () => {
  /** The echo cycle played back `delayMs` late (whole packets), packets arriving every 20 ms; returns the round trips. */
  function run(pcmCycle: Int16Array, packets: number, markerPacket: number, delayPackets: number): number[] {
    const cycles = 4;
    const sentMs = (i: number): number | undefined => (i < cycles * packets ? 1000 + i * PACKET_MS : undefined);
    const found: number[] = [];
    const tracker = new MarkerTracker(
      { template: markerTemplate(), periodPackets: packets, offsetPackets: markerPacket, triggerPeak: 3000, minNcc: 0.5 },
      sentMs,
      (ms) => found.push(ms),
    );
    for (let p = 0; p < cycles * packets; p++) {
      const i = (p - delayPackets + cycles * packets) % packets;
      const pcm = p < delayPackets ? new Int16Array(SAMPLES_PER_PACKET) : pcmCycle.slice(i * SAMPLES_PER_PACKET, (i + 1) * SAMPLES_PER_PACKET);
      tracker.push(pcm, peak(pcm), 1000 + p * PACKET_MS);
    }
    return found;
  }

  it('finds every marker behind the speech, with its delay', () => {
    const c = echoCycle(speech);
    const found = run(c.pcm, c.packets, c.markerPacket, 3);
    expect(found.length).toBe(4);
    for (const ms of found) expect(ms).toBeCloseTo(60, 3);
  });

  it('looks for a marker only once it was sent: a chirp in the caller\'s speech is not taken for the marker before it', () => {
    // A caller whose utterance holds the marker's very sound (a decoy 800 ms in, past the tracker's half-period of quiet
    // after the last marker): matched, it would be paired with
    // the previous cycle's marker, and the real marker after it would fall in the quiet that follows a match.
    const c = echoCycle(speech);
    const pcm = c.pcm.slice();
    pcm.set(markerTemplate(), 40 * SAMPLES_PER_PACKET);
    const found = run(pcm, c.packets, c.markerPacket, 3);
    expect(found.length).toBe(4);
    for (const ms of found) expect(ms).toBeCloseTo(60, 3);
  });
});
