import { describe, expect, it } from 'vitest';
import { bargeInCycle, SAMPLES_PER_PACKET, talkerSpeech, TALKER_BED_PEAK } from '../src/load/signals.js';

const peak = (pcm: Int16Array): number => pcm.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

describe('bargeInCycle', () => {
  it('is quiet until the onset packet, which starts the utterance at its first sample', () => {
    const speech = Int16Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? 9000 : -9000));
    const c = bargeInCycle(speech, 2000);
    expect(c.onsetPacket).toBe(100);
    expect(c.packets).toBe(100 + Math.ceil(1000 / SAMPLES_PER_PACKET));
    expect(c.pcm.length).toBe(c.packets * SAMPLES_PER_PACKET);
    expect(peak(c.pcm.subarray(0, c.onsetPacket * SAMPLES_PER_PACKET))).toBeLessThan(100);
    expect(c.pcm[c.onsetPacket * SAMPLES_PER_PACKET]).toBe(9000);
  });
});

describe('talkerSpeech', () => {
  it('lasts the duration asked, repeats its clips, and has no silent 20 ms anywhere', () => {
    const clip = new Int16Array(24_000).fill(0);
    clip.fill(12_000, 0, 2_400); // 100 ms of "speech", then 900 ms of digital silence
    const out = talkerSpeech([clip], 2_500);
    expect(out.length).toBe(60_000);
    expect(out[24_000 + 10]).toBeGreaterThan(10_000); // the clip again at 1 s
    for (let at = 0; at + 480 <= out.length; at += 480) {
      expect(peak(out.subarray(at, at + 480))).toBeGreaterThanOrEqual(TALKER_BED_PEAK * 0.9);
    }
  });
});
