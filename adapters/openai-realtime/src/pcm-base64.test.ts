import { describe, expect, it } from 'vitest';
import { Base64PcmDecoder, pcmToBase64 } from './pcm-base64.js';

describe('PCM16 ↔ base64', () => {
  it('round-trips samples exactly, little-endian', () => {
    const pcm = Int16Array.from([0, 1, -1, 32767, -32768, 1234]);
    const b64 = pcmToBase64(pcm);
    expect(Buffer.from(b64, 'base64')).toEqual(Buffer.from([0, 0, 1, 0, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x80, 0xd2, 0x04]));
    expect(new Base64PcmDecoder().decode(b64)).toEqual(pcm);
  });

  it('carries an odd byte to the next delta, and reset() forgets it', () => {
    const bytes = Buffer.from([1, 0, 2, 0, 3, 0]);
    const decoder = new Base64PcmDecoder();
    expect(decoder.decode(bytes.subarray(0, 3).toString('base64'))).toEqual(Int16Array.from([1]));
    expect(decoder.decode(bytes.subarray(3).toString('base64'))).toEqual(Int16Array.from([2, 3]));
    decoder.decode(Buffer.from([9]).toString('base64'));
    decoder.reset();
    expect(decoder.decode(Buffer.from([4, 0]).toString('base64'))).toEqual(Int16Array.from([4]));
  });
});
