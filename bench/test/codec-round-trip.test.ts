import { createDecoder, createEncoder, loadResampler, OpusEncoder } from '@patchbay/gateway';
import { beforeAll, describe, expect, it } from 'vitest';
import { BENCH_CODECS, codecProfile, type CodecName } from '../src/load/codec-profile.js';
import { locateMarker, MarkerTracker } from '../src/load/markers.js';
import { PacketDecoder } from '../src/load/packet-decoder.js';
import { encodeLoop, loopAtRate } from '../src/load/payload-loop.js';
import { echoLoop, ECHO_LOOP_PACKETS, markerTemplate, SAMPLES_PER_PACKET, TALKER_BED_PEAK } from '../src/load/signals.js';

/**
 * The codecs' own algorithmic delay, in samples at their PCM rate: none for G.711, the QMF pair of G.722 (about 22
 * samples at 16 kHz), the encoder lookahead of the gateway's Opus with its default settings (60 samples at 24 kHz = 2.5 ms with
 * `restricted_lowdelay`; 156 = 6.5 ms with `voip`).
 */
const CODEC_DELAY_SAMPLES: Readonly<Record<CodecName, number>> = { PCMU: 0, PCMA: 0, G722: 22, opus: new OpusEncoder().lookaheadSamples };
/** A received packet below this peak is silence at the load generator (rtp-call's SILENT_PEAK). */
const SILENT_PEAK = TALKER_BED_PEAK / 6;
/** A received packet at or above this peak may hold a marker (rtp-call's MARKER_TRIGGER_PEAK). */
const MARKER_TRIGGER_PEAK = 3_000;

beforeAll(async () => {
  await loadResampler();
});

/** `loops` passes of the encoded echo loop through the gateway's decoder, as one stream at the codec's rate. */
function gatewayHears(codec: CodecName, loops: number): Int16Array {
  const { frameSamples } = codecProfile(codec);
  const { payloads, packets } = encodeLoop(echoLoop(), codec);
  const decoder = createDecoder(codec);
  const out = new Int16Array(loops * packets * frameSamples);
  for (let p = 0; p < loops * packets; p++) {
    const pcm = decoder.decode(payloads[p % packets] ?? new Uint8Array(0));
    expect(pcm.length).toBe(frameSamples);
    out.set(pcm, p * frameSamples);
  }
  return out;
}

describe.each(BENCH_CODECS)('%s', (codec) => {
  const profile = codecProfile(codec);

  it('brings the 8 kHz loop to the codec rate without the resampler delay', () => {
    const loop = loopAtRate(echoLoop(), profile.pcmRate);
    expect(loop.length).toBe(ECHO_LOOP_PACKETS * profile.frameSamples);
    const match = locateMarker(loop, markerTemplate(profile.pcmRate, profile.frameSamples), 0, 40);
    expect(match.index).toBe(0);
    expect(match.ncc).toBeGreaterThan(0.999);
  });

  it("encodes a loop that the gateway's decoder turns back into the marker at every loop start", () => {
    const loopSamples = ECHO_LOOP_PACKETS * profile.frameSamples;
    const heard = gatewayHears(codec, 3);
    const template = markerTemplate(profile.pcmRate, profile.frameSamples);
    for (let k = 0; k < 3; k++) {
      const match = locateMarker(heard, template, k * loopSamples, k * loopSamples + 400);
      expect(match.index - k * loopSamples).toBeGreaterThanOrEqual(CODEC_DELAY_SAMPLES[codec] - 2);
      expect(match.index - k * loopSamples).toBeLessThanOrEqual(CODEC_DELAY_SAMPLES[codec] + 2);
      expect(match.ncc).toBeGreaterThan(0.95);
    }
  });

  it('finds the markers after the caller → gateway → caller round trip, twice the codec delay late', () => {
    const { payloads, packets } = encodeLoop(echoLoop(), codec);
    const gatewayDecoder = createDecoder(codec);
    const gatewayEncoder = createEncoder(codec);
    const receiver = new PacketDecoder(codec, { pcm8k: true });
    const found: number[] = [];
    const sentMs = (i: number): number => 1_000 + i * 20;
    const tracker = new MarkerTracker(
      {
        template: markerTemplate(), periodPackets: ECHO_LOOP_PACKETS, triggerPeak: MARKER_TRIGGER_PEAK, minNcc: 0.5,
        receiveDelayMs: receiver.delayMs,
      },
      sentMs,
      (ms) => found.push(ms),
    );
    const loops = 4;
    for (let p = 0; p < loops * packets; p++) {
      // The gateway's echo: decode, encode back at the same rate (its 24 kHz detour is its own business).
      const echoed = gatewayEncoder.encode(gatewayDecoder.decode(payloads[p % packets] ?? new Uint8Array(0)));
      const peak = receiver.decode(echoed, 0);
      tracker.push(receiver.pcm8k, peak, sentMs(p));
    }
    receiver.close();
    expect(found.length).toBe(loops - 1); // the first marker comes before the tracker has packets before it
    const expectedMs = (2 * CODEC_DELAY_SAMPLES[codec] * 1000) / profile.pcmRate;
    for (const ms of found) expect(Math.abs(ms - expectedMs)).toBeLessThan(0.5);
  });

  it("tells the gateway's silence from the talker's quiet bed tone by peak", () => {
    const encoder = createEncoder(codec);
    const receiver = new PacketDecoder(codec, { pcm8k: false });
    const bed = new Int16Array(profile.frameSamples);
    for (let i = 0; i < bed.length; i++) bed[i] = Math.round(TALKER_BED_PEAK * Math.sin((2 * Math.PI * 440 * i) / profile.pcmRate));
    const silence = new Int16Array(profile.frameSamples);
    const peaks = (pcm: Int16Array): number[] => Array.from({ length: 10 }, () => receiver.decode(encoder.encode(pcm), 0));
    const bedPeaks = peaks(bed).slice(3); // past the codec's start-up
    const silentPeaks = peaks(silence).slice(3);
    for (const peak of bedPeaks) expect(peak).toBeGreaterThanOrEqual(SILENT_PEAK);
    for (const peak of silentPeaks) expect(peak).toBeLessThan(SILENT_PEAK);
  });
});

describe('encodeLoop with G.722', () => {
  it('joins the loop to its own end: the packets after the seam decode as cleanly as the rest', () => {
    const loop = loopAtRate(echoLoop(), 16_000);
    const heard = gatewayHears('G722', 3);
    // The first 60 ms of the third pass (right after a seam) against the loop, the codec's delay later.
    const delay = CODEC_DELAY_SAMPLES.G722;
    let signal = 0;
    let error = 0;
    for (let j = 0; j < 3 * 320; j++) {
      const ref = loop[(j - delay + loop.length) % loop.length] ?? 0;
      signal += ref ** 2;
      error += ((heard[2 * loop.length + j] ?? 0) - ref) ** 2;
    }
    expect(10 * Math.log10(signal / error)).toBeGreaterThan(20); // 13 dB if encoded from a cold encoder
  });
});

describe('PacketDecoder', () => {
  it("decodes G.711 by a table equal to the gateway's decoder and zero-fills past a short payload", () => {
    for (const codec of ['PCMU', 'PCMA'] as const) {
      const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
      const expected = createDecoder(codec).decode(bytes);
      const receiver = new PacketDecoder(codec, { pcm8k: true });
      for (let at = 0; at < 256; at += SAMPLES_PER_PACKET) {
        const packet = new Uint8Array(12 + Math.min(SAMPLES_PER_PACKET, 256 - at));
        packet.set(bytes.subarray(at, at + SAMPLES_PER_PACKET), 12);
        const peak = receiver.decode(packet, 12);
        const want = expected.subarray(at, at + SAMPLES_PER_PACKET);
        expect(Array.from(receiver.pcm8k.subarray(0, want.length))).toEqual(Array.from(want));
        expect(receiver.pcm8k.subarray(want.length).every((v) => v === 0)).toBe(true);
        expect(peak).toBe(want.reduce((m, v) => Math.max(m, Math.abs(v)), 0));
      }
      expect(receiver.delayMs).toBe(0);
    }
  });

  it('reports the 8 kHz conversion delay only when it converts', () => {
    for (const codec of ['G722', 'opus'] as const) {
      const converting = new PacketDecoder(codec, { pcm8k: true });
      const peakOnly = new PacketDecoder(codec, { pcm8k: false });
      expect(converting.delayMs).toBeGreaterThan(0);
      expect(converting.delayMs).toBeLessThanOrEqual(5);
      expect(peakOnly.delayMs).toBe(0);
      converting.close();
      peakOnly.close();
    }
  });
});

describe('encodeLoop', () => {
  it('refuses audio that is not a whole number of packets', () => {
    expect(() => encodeLoop(new Int16Array(SAMPLES_PER_PACKET + 1), 'PCMU')).toThrow(RangeError);
  });

  it('keeps one payload per packet: 160 bytes for G.711 and G.722, 20 ms of Opus well under its ceiling', () => {
    for (const codec of BENCH_CODECS) {
      const { payloads, packets } = encodeLoop(echoLoop(), codec);
      expect(packets).toBe(ECHO_LOOP_PACKETS);
      expect(payloads.length).toBe(ECHO_LOOP_PACKETS);
      for (const p of payloads) {
        if (codec === 'opus') expect(p.length).toBeGreaterThan(1);
        else expect(p.length).toBe(160);
        expect(p.length).toBeLessThan(200);
      }
    }
  });
});
