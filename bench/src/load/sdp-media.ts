/**
 * The load generator's side of SDP offer/answer (pure): an offer of exactly one codec (no telephone-event: the
 * load generator sends no DTMF), and reading the answer's address, port and the payload type it gives that codec.
 * Not an SDP parser: one audio stream, the lines the gateway and the floor relay write.
 */
import { randomInt } from 'node:crypto';
import type { SrtpKeyMaterial } from '@patchbay/gateway';
import type { CodecProfile } from './codec-profile.js';
import { PACKET_MS } from './signals.js';
import { cryptoAttribute } from './srtp-offer.js';

export interface AnsweredMedia {
  readonly address: string;
  readonly port: number;
  /** The payload type the answer gives our codec: the one we send with and accept. */
  readonly payloadType: number;
}

/**
 * An offer of `codec` alone on 127.0.0.1:`rtpPort`; with `srtp`, `RTP/SAVP` and that key as the one `a=crypto`
 * line (tag 1).
 */
export function offerSdp(codec: CodecProfile, rtpPort: number, sessionId = randomInt(1, 2 ** 31), srtp?: SrtpKeyMaterial): string {
  const pt = codec.offerPayloadType;
  return [
    'v=0', `o=bench ${sessionId} 1 IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
    `m=audio ${rtpPort} ${srtp === undefined ? 'RTP/AVP' : 'RTP/SAVP'} ${pt}`, `a=rtpmap:${pt} ${codec.rtpmap}`, `a=ptime:${PACKET_MS}`,
    ...(srtp === undefined ? [] : [cryptoAttribute(1, srtp)]), 'a=sendrecv', '',
  ].join('\r\n');
}

/**
 * An answer of `codec` alone on 127.0.0.1:`rtpPort`, with the payload type the offer gave it (`offeredMedia`): what
 * the load generator says as the called party of an outbound call.
 */
export function answerSdp(codec: CodecProfile, rtpPort: number, payloadType: number, sessionId = randomInt(1, 2 ** 31)): string {
  return [
    'v=0', `o=bench ${sessionId} 1 IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
    `m=audio ${rtpPort} RTP/AVP ${payloadType}`, `a=rtpmap:${payloadType} ${codec.rtpmap}`, `a=ptime:${PACKET_MS}`, 'a=sendrecv', '',
  ].join('\r\n');
}

/**
 * The answer's audio address (the last `c=` line: media level wins over session level), its `m=audio` port, and the
 * first of its formats that is our codec: by `a=rtpmap` (encoding name case-insensitive, same clock and channels),
 * or, for a format without one, by static payload type number. Undefined when the answer lacks any of the three.
 */
export function answeredMedia(body: string, codec: CodecProfile): AnsweredMedia | undefined {
  const media = /^m=audio (\d+) [^ \r\n]+((?: \d+)*)/m.exec(body);
  const address = [...body.matchAll(/^c=IN IP4 (\S+)/gm)].map((m) => m[1] ?? '').at(-1);
  if (media === null || address === undefined || address === '') return undefined;
  const rtpmaps = new Map<number, string>();
  for (const m of body.matchAll(/^a=rtpmap:(\d+) (\S+)/gm)) rtpmaps.set(Number(m[1]), encoding(m[2] ?? ''));
  const ours = encoding(codec.rtpmap);
  const formats = (media[2] ?? '').trim().split(/\s+/).filter((f) => f !== '').map(Number);
  const payloadType = formats.find((pt) => {
    const map = rtpmaps.get(pt);
    return map === undefined ? pt < 96 && pt === codec.offerPayloadType : map === ours;
  });
  return payloadType === undefined ? undefined : { address, port: Number(media[1]), payloadType };
}

/** `PCMU/8000/1` and `pcmu/8000` are the same encoding: lower case, a channel count of 1 dropped. */
/**
 * The same reading applied to an offer (the gateway's INVITE of an outbound call): its audio address and port, and
 * the payload type it gives `codec`, which our answer must keep.
 */
export const offeredMedia: (body: string, codec: CodecProfile) => AnsweredMedia | undefined = answeredMedia;

function encoding(rtpmap: string): string {
  return rtpmap.toLowerCase().replace(/\/1$/, '');
}
