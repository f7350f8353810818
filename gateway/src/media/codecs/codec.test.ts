import { describe, expect, it } from 'vitest';

import { CodecError, codecDescriptor, createDecoder, createEncoder, isSupportedCodec } from './codec.js';

describe('codec registry', () => {
  it.each([
    ['PCMU', 8000, 8000, 1, 0],
    ['pcma', 8000, 8000, 1, 8],
    ['G722', 16_000, 8000, 0.5, 9],
    ['OPUS', 24_000, 48_000, 2, null],
  ] as const)('%s: rates, RTP ticks per sample and payload type', (name, pcmRate, clock, ticks, pt) => {
    const d = codecDescriptor(name);
    expect(d.pcmRate).toBe(pcmRate);
    expect(d.rtpClockRate).toBe(clock);
    expect(d.rtpTicksPerSample).toBe(ticks);
    expect(d.rtpTicksPerSample).toBe(clock / pcmRate);
    expect(d.staticPayloadType).toBe(pt);
    expect(d.frameSamples).toBe(pcmRate / 50);
    const enc = createEncoder(name);
    const dec = createDecoder(name);
    expect(enc.sampleRate).toBe(pcmRate);
    expect(dec.sampleRate).toBe(pcmRate);
    // One 20 ms frame encodes to one payload that decodes back to one frame.
    expect(dec.decode(enc.encode(new Int16Array(d.frameSamples))).length).toBe(d.frameSamples);
    expect(isSupportedCodec(name)).toBe(true);
  });

  it('rejects unknown codecs with CodecError CODEC_UNSUPPORTED', () => {
    for (const make of [createEncoder, createDecoder, codecDescriptor]) {
      try {
        make('G729');
        expect.fail('should throw');
      } catch (e) {
        expect(e).toBeInstanceOf(CodecError);
        expect((e as CodecError).code).toBe('CODEC_UNSUPPORTED');
      }
    }
    expect(isSupportedCodec('G729')).toBe(false);
  });
});
