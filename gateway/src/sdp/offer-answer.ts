/**
 * SDP offer/answer for one audio stream (RFC 3264) over plain RTP/AVP, or SRTP with SDES keys (RTP/SAVP, RFC 4568)
 * as `local.srtp.policy` allows: `off` takes RTP/AVP only; `optional` the first usable of RTP/AVP or RTP/SAVP (with a
 * crypto line we can use) in offer order, and offers RTP/AVP; `required` takes and offers RTP/SAVP only. An answer
 * picks the first of our suites (`local.srtp.suites`) among the stream's usable `a=crypto` lines, echoes its tag and
 * gives our own key for that suite. RTP/SAVPF and DTLS-SRTP (`UDP/TLS/RTP/SAVP[F]`) are refused (488).
 *
 * - `answerOffer`: we are the answerer (INVITE or re-INVITE with SDP).
 * - `createOffer` + `acceptAnswer`: we are the offerer (INVITE without SDP, answered in the 200 OK/ACK).
 *
 * Pure and synchronous; every refusal is an SdpError with a stable code naming the fault.
 *
 * Every remote transport address is checked before it can become a media destination (issue 11): the RTP port is
 * 1–65535 (0 is a disabled stream, answered with port 0), the c= address a unicast IP literal of its address type,
 * and `a=rtcp` a port of 1–65535 with, when given, such an address. A chosen stream that fails is refused with 488
 * naming the fault. RTCP goes to `a=rtcp`'s port, else to RTP + 1; when there is no valid one (an `m=audio 65535`
 * without `a=rtcp`), or `a=rtcp` names another address than the RTP one, or the stream is held with c=0.0.0.0, the
 * answer still stands but `remote.rtcpPort` is 0: we send no RTCP (it is optional for the call to work, and we
 * never send it to a third address), and we still read the caller's.
 */

import { write } from 'sdp-transform';
import type { MediaDescription, SessionDescription } from 'sdp-transform';
import { codecByStaticPayloadType, findCodec, TELEPHONE_EVENT } from './codecs.js';
import type { CodecInfo } from './codecs.js';
import { badSdp, notAcceptable, SdpError, SdpErrorCode } from './errors.js';
import { readSdp } from './remote-sdp.js';
import type { RemoteFormat, RemoteStream } from './remote-sdp.js';
import { formatCryptoLine, offeredSuites, readCryptoLines, type SdesCrypto } from './sdes.js';
import type { Direction, LocalMedia, LocalSrtp, NegotiatedMedia, SrtpPolicy } from './types.js';
import type { SrtpKeyMaterial, SrtpKeys } from '../media/srtp/types.js';

const PLAIN = 'RTP/AVP';
const SECURE = 'RTP/SAVP';
const DEFAULT_PTIME_MS = 20;

/** Well-known static payload types, only to name what was offered in a 488 reason. */
const STATIC_LABELS: Readonly<Record<number, string>> = {
  3: 'GSM/8000',
  4: 'G723/8000',
  13: 'CN/8000',
  18: 'G729/8000',
};

interface CheckedLocal {
  address: string;
  port: number;
  codecs: CodecInfo[];
  telephoneEvent: boolean;
  ptimeMs: number;
  direction: Direction;
  srtp: LocalSrtp | undefined;
  local: LocalMedia;
}

function badLocal(fault: string): SdpError {
  return new SdpError(SdpErrorCode.BadLocalMedia, fault);
}

function checkLocal(local: LocalMedia): CheckedLocal {
  if (local.address === '' || /\s/.test(local.address)) throw badLocal(`invalid local address "${local.address}"`);
  if (!Number.isInteger(local.port) || local.port < 1 || local.port > 65534) {
    throw badLocal(`invalid local port ${local.port}`);
  }
  const ptimeMs = local.ptimeMs ?? DEFAULT_PTIME_MS;
  if (!Number.isInteger(ptimeMs) || ptimeMs <= 0) throw badLocal(`invalid local ptime ${ptimeMs}`);
  if (!/^\d+$/.test(local.sessionId)) throw badLocal('sessionId must be digits');
  if (!Number.isInteger(local.sessionVersion) || local.sessionVersion < 0) throw badLocal('invalid sessionVersion');
  const codecs: CodecInfo[] = [];
  for (const name of local.codecs) {
    const codec = findCodec(name);
    if (codec === undefined || codec.name === TELEPHONE_EVENT) throw badLocal(`unknown local codec "${name}"`);
    if (!codecs.includes(codec)) codecs.push(codec);
  }
  if (codecs.length === 0) throw badLocal('no local codecs');
  const srtp = local.srtp?.policy === 'off' ? undefined : local.srtp;
  if (srtp !== undefined) {
    if (srtp.suites.length === 0) throw badLocal('no SRTP suites');
    for (const suite of srtp.suites) if (srtp.keys[suite] === undefined) throw badLocal(`no local key for ${suite}`);
  }
  return {
    address: local.address,
    port: local.port,
    codecs,
    telephoneEvent: local.telephoneEvent ?? true,
    ptimeMs,
    direction: local.direction ?? 'sendrecv',
    srtp,
    local,
  };
}

/** Which known codec an offered or answered format is: dynamic by rtpmap name/rate/channels, static by number. */
function identify(format: RemoteFormat): CodecInfo | undefined {
  if (format.name === undefined) {
    return format.payloadType < 96 ? codecByStaticPayloadType(format.payloadType) : undefined;
  }
  const codec = findCodec(format.name);
  if (codec === undefined) return undefined;
  return format.clockRate === codec.clockRate && format.channels === codec.channels ? codec : undefined;
}

function label(format: RemoteFormat): string {
  if (format.name !== undefined) return `${format.name}/${format.clockRate ?? '?'}`;
  const known = codecByStaticPayloadType(format.payloadType);
  if (known !== undefined) return `${known.name}/${known.clockRate}`;
  return STATIC_LABELS[format.payloadType] ?? `PT ${format.payloadType}`;
}

/** Our preferred codec among `formats`, and the format (remote PT) carrying it. */
function pickCodec(formats: RemoteFormat[], ours: CodecInfo[]): Picked | undefined {
  for (const codec of ours) {
    const format = formats.find((f) => identify(f) === codec);
    if (format !== undefined) return { codec, format };
  }
  return undefined;
}

/** telephone-event at the audio codec's clock rate (RFC 4733 §2.1), else at 8000. */
function pickTelephoneEvent(formats: RemoteFormat[], clockRate: number): RemoteFormat | undefined {
  const events = formats.filter((f) => f.name?.toLowerCase() === TELEPHONE_EVENT && f.channels === 1);
  return events.find((f) => f.clockRate === clockRate) ?? events.find((f) => f.clockRate === 8000);
}

function isUnspecified(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

const sends = (d: Direction): boolean => d === 'sendrecv' || d === 'sendonly';
const receives = (d: Direction): boolean => d === 'sendrecv' || d === 'recvonly';

function toDirection(send: boolean, receive: boolean): Direction {
  if (send) return receive ? 'sendrecv' : 'sendonly';
  return receive ? 'recvonly' : 'inactive';
}

function validPtime(ms: number | undefined): ms is number {
  return ms !== undefined && Number.isInteger(ms) && ms % 10 === 0 && ms >= 10 && ms <= 60;
}

interface Picked {
  codec: CodecInfo;
  /** The remote format (and so payload type number) carrying it. */
  format: RemoteFormat;
}

function negotiate(stream: RemoteStream, picked: Picked, local: CheckedLocal, srtp?: SrtpKeys): NegotiatedMedia {
  const connection = stream.connection;
  if (connection === undefined) {
    throw badSdp(SdpErrorCode.MissingConnection, `missing c= line for m= line ${stream.index + 1}`);
  }
  const held = isUnspecified(connection.address);
  const rtcpPort = remoteRtcpPort(stream, connection.address, held);
  const weSend = sends(local.direction) && receives(stream.direction) && !held;
  const weReceive = receives(local.direction) && sends(stream.direction);
  let ptimeMs = validPtime(stream.ptimeMs) ? stream.ptimeMs : local.ptimeMs;
  if (validPtime(stream.maxPtimeMs) && ptimeMs > stream.maxPtimeMs) ptimeMs = stream.maxPtimeMs;

  const { codec, format } = picked;
  const media: NegotiatedMedia = {
    codec: { name: codec.name, payloadType: format.payloadType, clockRate: codec.clockRate, channels: codec.channels },
    remote: { address: connection.address, rtpPort: stream.port, rtcpPort },
    direction: toDirection(weSend, weReceive),
    onHold: held || stream.direction === 'sendonly' || stream.direction === 'inactive',
    ptimeMs,
  };
  if (format.fmtp !== undefined) media.codec.fmtp = format.fmtp;
  if (srtp !== undefined) media.srtp = srtp;
  if (local.telephoneEvent) {
    const te = pickTelephoneEvent(stream.formats, codec.clockRate);
    if (te?.clockRate !== undefined) media.telephoneEvent = { payloadType: te.payloadType, clockRate: te.clockRate };
  }
  return media;
}

/**
 * Where our RTCP goes: `a=rtcp`'s port, else RTP + 1; 0 (send none) when that would be past 65535, when `a=rtcp`
 * names an address other than the RTP one, or when the stream is held with an unspecified address.
 */
function remoteRtcpPort(stream: RemoteStream, address: string, held: boolean): number {
  if (held) return 0;
  if (stream.rtcpAddress !== undefined && stream.rtcpAddress.toLowerCase() !== address.toLowerCase()) return 0;
  if (stream.rtcpPort !== undefined) return stream.rtcpPort;
  return stream.port < 65535 ? stream.port + 1 : 0;
}

function badTransport(fault: string): SdpError {
  return notAcceptable(SdpErrorCode.BadTransportAddress, fault);
}

const isPlain = (s: RemoteStream): boolean => s.protocol.toUpperCase() === PLAIN;
const isSecure = (s: RemoteStream): boolean => s.protocol.toUpperCase() === SECURE;

/** An audio stream over a transport the policy takes. */
function isSupportedAudio(s: RemoteStream, policy: SrtpPolicy): boolean {
  if (s.type !== 'audio' || s.port === 0) return false;
  return (policy !== 'required' && isPlain(s)) || (policy !== 'off' && isSecure(s));
}

/** Why no audio stream's transport is usable under the policy (488). */
function transportRefusal(audio: RemoteStream[], policy: SrtpPolicy): SdpError {
  const protocols = [...new Set(audio.map((s) => s.protocol))].join(', ');
  if (policy === 'required' && audio.some(isPlain)) return notAcceptable(SdpErrorCode.SrtpRequired, `SRTP required (offered ${protocols})`);
  const need = policy === 'off' ? `${PLAIN}: SRTP is off` : policy === 'required' ? `${SECURE} with SDES` : `${PLAIN} or ${SECURE} with SDES`;
  const dtls = audio.some((s) => /^UDP\/TLS\//i.test(s.protocol)) ? '; DTLS-SRTP is not supported' : '';
  return notAcceptable(SdpErrorCode.UnsupportedTransport, `unsupported transport ${protocols} (need ${need}${dtls})`);
}

/** Our preferred suite among a stream's usable `a=crypto` lines, and the keys it makes. */
function pickCrypto(stream: RemoteStream, srtp: LocalSrtp): { line: SdesCrypto; keys: SrtpKeys } | undefined {
  const offered = readCryptoLines(stream.crypto);
  for (const suite of srtp.suites) {
    const line = offered.find((c) => c.key.suite === suite);
    const local = srtp.keys[suite];
    if (line !== undefined && local !== undefined) return { line, keys: { local, remote: line.key } };
  }
  return undefined;
}

function noCommonCrypto(stream: RemoteStream, srtp: LocalSrtp): SdpError {
  const offered = stream.crypto.length === 0 ? 'none' : offeredSuites(stream.crypto).join(', ');
  return notAcceptable(SdpErrorCode.NoCommonCrypto, `no usable a=crypto (offered: ${offered}; we take ${srtp.suites.join(', ')} without MKI or session parameters)`);
}

function noCommonCodec(streams: RemoteStream[]): SdpError {
  const offered = [...new Set(streams.flatMap((s) => s.formats.map(label)))].join(', ');
  return notAcceptable(SdpErrorCode.NoCommonCodec, `no common codec (offered: ${offered})`);
}

// ---------------------------------------------------------------------------------------------------------------
// Writing

interface WrittenFormat {
  payloadType: number;
  codec: CodecInfo;
  /** Only for telephone-event, whose rate follows the remote's choice. */
  clockRate?: number;
}

/** Our `a=crypto` lines: one per suite with its tag (an offer), or the one chosen echoing the offer's tag (an answer). */
type WrittenCrypto = readonly { tag: number; key: SrtpKeyMaterial }[];

function cryptoAttributes(crypto: WrittenCrypto): NonNullable<MediaDescription['crypto']> {
  return crypto.map(({ tag, key }) => {
    const [id = '', suite = '', config = ''] = formatCryptoLine(tag, key).split(' ');
    return { id: Number(id), suite, config };
  });
}

function audioMedia(local: CheckedLocal, formats: WrittenFormat[], direction: Direction, crypto?: WrittenCrypto): MediaDescription {
  return {
    type: 'audio',
    port: local.port,
    protocol: crypto === undefined ? PLAIN : SECURE,
    payloads: formats.map((f) => f.payloadType).join(' '),
    rtp: formats.map(({ payloadType, codec, clockRate }) => ({
      payload: payloadType,
      codec: codec.name,
      rate: clockRate ?? codec.clockRate,
      ...(codec.channels > 1 ? { encoding: codec.channels } : {}),
    })),
    fmtp: formats.flatMap(({ payloadType, codec }) =>
      codec.fmtp === undefined ? [] : [{ payload: payloadType, config: codec.fmtp }],
    ),
    ptime: local.ptimeMs,
    direction,
    ...(crypto === undefined ? {} : { crypto: cryptoAttributes(crypto) }),
  };
}

function writeSdp(local: CheckedLocal, media: MediaDescription[]): string {
  const ipVer = local.address.includes(':') ? 6 : 4;
  const session: SessionDescription = {
    version: 0,
    origin: {
      username: local.local.username ?? '-',
      sessionId: local.local.sessionId,
      sessionVersion: local.local.sessionVersion,
      netType: 'IN',
      ipVer,
      address: local.address,
    },
    name: local.local.sessionName ?? '-',
    connection: { version: ipVer, ip: local.address },
    timing: { start: 0, stop: 0 },
    media,
  };
  return write(session);
}

function telephoneEventCodec(): CodecInfo {
  const te = findCodec(TELEPHONE_EVENT);
  if (te === undefined) throw new Error('codec table lacks telephone-event');
  return te;
}

// ---------------------------------------------------------------------------------------------------------------
// Public API

/**
 * Answers a remote offer. Uses the first audio m= line with a non-zero port over RTP/AVP that has a codec in
 * common; every other m= line is answered with port 0, in order (RFC 3264 §6).
 */
export function answerOffer(offer: string, local: LocalMedia): { sdp: string; media: NegotiatedMedia } {
  const ours = checkLocal(local);
  const policy = ours.srtp?.policy ?? 'off';
  const { streams } = readSdp(offer);
  const audio = streams.filter((s) => s.type === 'audio' && s.port !== 0);
  if (audio.length === 0) throw notAcceptable(SdpErrorCode.NoAudio, 'no audio stream offered');
  const usable = audio.filter((s) => isSupportedAudio(s, policy));
  if (usable.length === 0) throw transportRefusal(audio, policy);
  // Streams whose address or RTCP port is unusable are never candidates; if no other is left, the first fault is the answer.
  const reachable = usable.filter((s) => s.fault === undefined);
  const faulty = usable.find((s) => s.fault !== undefined);
  if (reachable.length === 0 && faulty?.fault !== undefined) throw badTransport(faulty.fault);
  let chosen: { stream: RemoteStream; picked: Picked; crypto?: { line: SdesCrypto; keys: SrtpKeys } } | undefined;
  let cryptoless: RemoteStream | undefined;
  for (const stream of reachable) {
    const picked = pickCodec(stream.formats, ours.codecs);
    if (picked === undefined) continue;
    if (!isSecure(stream) || ours.srtp === undefined) {
      chosen = { stream, picked };
      break;
    }
    const crypto = pickCrypto(stream, ours.srtp);
    if (crypto !== undefined) {
      chosen = { stream, picked, crypto };
      break;
    }
    cryptoless ??= stream;
  }
  if (chosen === undefined) {
    if (cryptoless !== undefined && ours.srtp !== undefined) throw noCommonCrypto(cryptoless, ours.srtp);
    throw noCommonCodec(reachable);
  }

  const negotiated = negotiate(chosen.stream, chosen.picked, ours, chosen.crypto?.keys);
  const written: WrittenFormat[] = [{ payloadType: chosen.picked.format.payloadType, codec: chosen.picked.codec }];
  if (negotiated.telephoneEvent !== undefined) {
    const { payloadType, clockRate } = negotiated.telephoneEvent;
    written.push({ payloadType, codec: telephoneEventCodec(), clockRate });
  }
  const selected = chosen.stream;
  const crypto = chosen.crypto === undefined ? undefined : [{ tag: chosen.crypto.line.tag, key: chosen.crypto.keys.local }];
  const media = streams.map(
    (s): MediaDescription =>
      s === selected
        ? audioMedia(ours, written, negotiated.direction, crypto)
        : { type: s.type, port: 0, protocol: s.protocol, payloads: s.formatList, rtp: [], fmtp: [] },
  );
  return { sdp: writeSdp(ours, media), media: negotiated };
}

/** Our offer, for an INVITE without SDP (late offer) or our own re-INVITE (hold: direction 'sendonly'). */
export function createOffer(local: LocalMedia): string {
  const ours = checkLocal(local);
  const formats: WrittenFormat[] = ours.codecs.map((codec) => ({ payloadType: codec.defaultPayloadType, codec }));
  if (ours.telephoneEvent) {
    const te = telephoneEventCodec();
    formats.push({ payloadType: te.defaultPayloadType, codec: te });
  }
  return writeSdp(ours, [audioMedia(ours, formats, ours.direction, offeredCrypto(ours))]);
}

/** Our offer's `a=crypto` lines (policy `required` only: an `optional` offer is plain), tagged 1, 2, ... in preference order. */
function offeredCrypto(ours: CheckedLocal): WrittenCrypto | undefined {
  const srtp = ours.srtp;
  if (srtp?.policy !== 'required') return undefined;
  return srtp.suites.flatMap((suite, i) => {
    const key = srtp.keys[suite];
    return key === undefined ? [] : [{ tag: i + 1, key }];
  });
}

/**
 * Reads the remote's answer to `createOffer(local)` (same `local`). The answer's first m= line answers our audio
 * stream; its first format that we offered is the codec (with the answer's payload type number).
 */
export function acceptAnswer(local: LocalMedia, answer: string): NegotiatedMedia {
  const ours = checkLocal(local);
  const { streams } = readSdp(answer);
  const stream = streams[0];
  if (stream === undefined || stream.type !== 'audio') {
    throw badSdp(SdpErrorCode.Parse, 'answer does not match the offer (no audio m= line first)');
  }
  if (stream.port === 0) throw notAcceptable(SdpErrorCode.NoAudio, 'audio stream rejected in answer');
  const offered = offeredCrypto(ours);
  if (offered !== undefined && isPlain(stream)) throw notAcceptable(SdpErrorCode.SrtpRequired, `SRTP required (answered ${stream.protocol})`);
  if (offered === undefined ? !isPlain(stream) : !isSecure(stream)) {
    throw notAcceptable(SdpErrorCode.UnsupportedTransport, `unsupported transport ${stream.protocol} in answer`);
  }
  if (stream.fault !== undefined) throw badTransport(stream.fault);
  const srtp = offered === undefined ? undefined : answeredCrypto(stream, offered, ours);
  let picked: Picked | undefined;
  for (const format of stream.formats) {
    const codec = identify(format);
    if (codec !== undefined && ours.codecs.includes(codec)) {
      picked = { codec, format };
      break;
    }
  }
  if (picked === undefined) throw noCommonCodec([stream]);
  return negotiate(stream, picked, ours, srtp);
}

/** The answer's `a=crypto`: one of our offered lines (its tag and suite) with the answerer's key (RFC 4568 §7.1.3). */
function answeredCrypto(stream: RemoteStream, offered: WrittenCrypto, ours: CheckedLocal): SrtpKeys {
  for (const line of readCryptoLines(stream.crypto)) {
    const mine = offered.find((o) => o.tag === line.tag && o.key.suite === line.key.suite);
    if (mine !== undefined) return { local: mine.key, remote: line.key };
  }
  if (ours.srtp === undefined) throw badLocal('SRTP offered without a policy');
  throw noCommonCrypto(stream, ours.srtp);
}
