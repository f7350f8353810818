/**
 * What the load generator needs to know of the codec it calls with (pure): the payload type and rtpmap it offers,
 * the RTP clock (timestamps and RFC 3550 jitter), and the codec's PCM rate and frame size. Taken from the gateway's
 * own codec table, so the bench and the gateway cannot disagree on a rate.
 */
import { codecDescriptor, type CodecName } from '@patchbay/gateway';
import { PACKET_MS } from './signals.js';

export type { CodecName } from '@patchbay/gateway';

/** Every codec the gateway can negotiate, in the spelling `--codec` takes and the config file lists. */
export const BENCH_CODECS: readonly CodecName[] = ['PCMU', 'PCMA', 'G722', 'opus'];

/** The dynamic payload type our offer gives Opus (the answer's number is the one used). */
export const OPUS_OFFER_PAYLOAD_TYPE = 111;

export interface CodecProfile {
  readonly name: CodecName;
  /** Payload type in our offer: the RFC 3551 static one, or OPUS_OFFER_PAYLOAD_TYPE. */
  readonly offerPayloadType: number;
  /** The `a=rtpmap` encoding: `PCMU/8000`, `G722/8000` (RFC 3551: 8000 clock for 16 kHz audio), `opus/48000/2`. */
  readonly rtpmap: string;
  /** RTP timestamp clock, Hz: 8000 for G.711 and G.722, 48000 for Opus. */
  readonly rtpClockRate: number;
  /** RTP timestamp units per 20 ms packet. */
  readonly timestampStep: number;
  /** PCM rate of the codec's encoder input and decoder output (the gateway's Opus runs at 24 kHz). */
  readonly pcmRate: number;
  /** Samples per 20 ms packet at `pcmRate`. */
  readonly frameSamples: number;
}

export function codecProfile(name: CodecName): CodecProfile {
  const d = codecDescriptor(name);
  return {
    name: d.name,
    offerPayloadType: d.staticPayloadType ?? OPUS_OFFER_PAYLOAD_TYPE,
    rtpmap: `${d.name}/${d.rtpClockRate}${d.sdpChannels > 1 ? `/${d.sdpChannels}` : ''}`,
    rtpClockRate: d.rtpClockRate,
    timestampStep: (d.rtpClockRate * PACKET_MS) / 1000,
    pcmRate: d.pcmRate,
    frameSamples: d.frameSamples,
  };
}
