/**
 * The audio codecs Patchbay can negotiate, keyed by their RTP encoding name (RFC 3551, RFC 7587, RFC 4733).
 *
 * `clockRate` is the RTP timestamp clock written in `a=rtpmap`; `sampleRate` is the audio rate the codec really
 * carries (they differ for G.722, whose RTP clock is 8000 for historical reasons while the audio is 16 kHz).
 */

export interface CodecInfo {
  /** Canonical encoding name as written in `a=rtpmap`, e.g. `PCMU`, `opus`. */
  readonly name: string;
  /** RFC 3551 static payload type, if the codec has one. */
  readonly staticPayloadType?: number;
  /** Payload type we use in our own offers for a dynamic codec (96–127). */
  readonly defaultPayloadType: number;
  readonly clockRate: number;
  readonly channels: number;
  readonly sampleRate: number;
  /** `a=fmtp` parameters we write for this codec in our offers and answers. */
  readonly fmtp?: string;
}

export const TELEPHONE_EVENT = 'telephone-event';

export const CODECS: readonly CodecInfo[] = [
  { name: 'PCMU', staticPayloadType: 0, defaultPayloadType: 0, clockRate: 8000, channels: 1, sampleRate: 8000 },
  { name: 'PCMA', staticPayloadType: 8, defaultPayloadType: 8, clockRate: 8000, channels: 1, sampleRate: 8000 },
  { name: 'G722', staticPayloadType: 9, defaultPayloadType: 9, clockRate: 8000, channels: 1, sampleRate: 16000 },
  {
    name: 'opus',
    defaultPayloadType: 111,
    clockRate: 48000,
    channels: 2,
    sampleRate: 48000,
    fmtp: 'minptime=10;useinbandfec=1',
  },
  { name: TELEPHONE_EVENT, defaultPayloadType: 101, clockRate: 8000, channels: 1, sampleRate: 8000, fmtp: '0-16' },
];

const BY_NAME: ReadonlyMap<string, CodecInfo> = new Map(CODECS.map((c) => [c.name.toLowerCase(), c]));

/** Looks a codec up by encoding name, case-insensitively (`pcmu`, `OPUS`). */
export function findCodec(name: string): CodecInfo | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/** The codec that owns an RFC 3551 static payload type, if we know it. */
export function codecByStaticPayloadType(payloadType: number): CodecInfo | undefined {
  return CODECS.find((c) => c.staticPayloadType === payloadType);
}
