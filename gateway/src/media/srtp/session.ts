/**
 * `createSrtpSession`: one call's SRTP state over the two transforms — per-SSRC rollover counters (RFC 3711
 * §3.3.1), per-SSRC replay windows for SRTP and SRTCP (§3.3.2, updated only after a packet authenticated), the
 * SRTCP send index (§3.4: from 0, +1 per packet, 31 bits), and counters. Unprotecting never throws: a refusal is
 * `{ ok: false, failure }` and leaves no state behind (no stream is created for an SSRC until one of its packets
 * authenticates, so a flood of forged SSRCs costs no memory).
 */
import { AesCmHmacTransform } from './aes-cm-transform.js';
import { AesGcmTransform } from './aes-gcm-transform.js';
import { SrtpError } from './errors.js';
import { deriveSessionKeys, type SessionKeys } from './kdf.js';
import { guessRoc, RolloverCounter } from './packet-index.js';
import { ReplayWindow } from './replay-window.js';
import { readU32, type SrtpTransform } from './transform.js';
import { SRTP_SUITES, type SrtpFailure, type SrtpKeyMaterial, type SrtpKeys, type SrtpSession, type SrtpSuite, type Unprotected } from './types.js';

export interface SrtpSessionOptions {
  /** Packets of the replay window per SSRC (RFC 3711 §3.3.2 minimum 64; default 128, as libsrtp). */
  readonly replayWindow?: number;
}

export const DEFAULT_REPLAY_WINDOW = 128;
const MIN_REPLAY_WINDOW = 64;
const MAX_REPLAY_WINDOW = 32768;
const RTP_HEADER = 12;
const RTCP_HEADER = 8;
const SRTCP_INDEX_MASK = 0x7fffffff;

interface ReceiveStream {
  readonly rollover: RolloverCounter;
  readonly window: ReplayWindow;
}

/**
 * The RTP header length (fixed header, CSRCs, extension) if it fits in `limit` bytes of an RTP v2 packet, else -1.
 */
export function rtpHeaderLength(packet: Uint8Array, limit: number): number {
  if (limit < RTP_HEADER) return -1;
  const b0 = packet[0] ?? 0;
  if (b0 >> 6 !== 2) return -1;
  let length = RTP_HEADER + (b0 & 0x0f) * 4;
  if ((b0 & 0x10) !== 0) {
    if (length + 4 > limit) return -1;
    length += 4 + (((packet[length + 2] ?? 0) << 8) | (packet[length + 3] ?? 0)) * 4;
  }
  return length <= limit ? length : -1;
}

function checkMaterial(material: SrtpKeyMaterial, side: string): void {
  const suite = SRTP_SUITES[material.suite];
  if (material.masterKey.length !== suite.keyLength || material.masterSalt.length !== suite.saltLength) {
    throw new SrtpError(
      'SRTP_KEY_LENGTH',
      `${side} ${material.suite} needs a ${suite.keyLength}-byte key and ${suite.saltLength}-byte salt, got ` +
        `${material.masterKey.length} and ${material.masterSalt.length}`,
    );
  }
}

/** Session keys for one direction's master key (both SRTP and SRTCP), derived once (kdr 0). */
export function transformFor(material: SrtpKeyMaterial): SrtpTransform {
  const suite = SRTP_SUITES[material.suite];
  const rtp = deriveSessionKeys(material.masterKey, material.masterSalt, 'rtp', suite.saltLength, suite.aead);
  const rtcp = deriveSessionKeys(material.masterKey, material.masterSalt, 'rtcp', suite.saltLength, suite.aead);
  return transformFromSessionKeys(material.suite, rtp, rtcp);
}

/** A transform from already-derived session keys (the RFC 7714 vectors are given as session keys). */
export function transformFromSessionKeys(suite: SrtpSuite, rtp: SessionKeys, rtcp: SessionKeys): SrtpTransform {
  const spec = SRTP_SUITES[suite];
  return spec.aead ? new AesGcmTransform(rtp, rtcp) : new AesCmHmacTransform(rtp, rtcp, spec.tagLength);
}

/** Counters of one session, read by the media layer for `/stats` and `/metrics`. */
export interface SrtpCounters {
  /** RTP packets protected (sent). */
  rtpProtected: number;
  /** RTP packets that unprotected (authenticated, not replayed). */
  rtpUnprotected: number;
  rtcpProtected: number;
  rtcpUnprotected: number;
  /** Refused received packets (SRTP and SRTCP together), by reason. */
  readonly failures: Record<SrtpFailure, number>;
}

class Session implements SrtpSession {
  readonly suite: SrtpSuite;
  readonly counters: SrtpCounters = {
    rtpProtected: 0,
    rtpUnprotected: 0,
    rtcpProtected: 0,
    rtcpUnprotected: 0,
    failures: { auth: 0, replay: 0, malformed: 0 },
  };
  private readonly sendStreams = new Map<number, RolloverCounter>();
  private readonly receiveStreams = new Map<number, ReceiveStream>();
  private readonly rtcpWindows = new Map<number, ReplayWindow>();
  private rtcpSendIndex = 0;

  constructor(
    private readonly outbound: SrtpTransform,
    private readonly inbound: SrtpTransform,
    suite: SrtpSuite,
    private readonly windowSize: number,
  ) {
    this.suite = suite;
  }

  protectRtp(packet: Uint8Array): Buffer {
    const headerLength = rtpHeaderLength(packet, packet.length);
    if (headerLength < 0) throw new SrtpError('SRTP_NOT_A_PACKET', `RTP packet of ${packet.length} bytes`);
    const seq = ((packet[2] ?? 0) << 8) | (packet[3] ?? 0);
    const ssrc = readU32(packet, 8);
    let stream = this.sendStreams.get(ssrc);
    let roc = 0;
    if (stream === undefined) {
      stream = new RolloverCounter(0, seq);
      this.sendStreams.set(ssrc, stream);
    } else {
      roc = Math.max(0, guessRoc(stream.roc, stream.highestSeq, seq));
      stream.advance(roc, seq);
    }
    this.counters.rtpProtected++;
    return this.outbound.protectRtp(packet, headerLength, ssrc, roc, seq);
  }

  unprotectRtp(packet: Uint8Array): Unprotected {
    const headerLength = rtpHeaderLength(packet, packet.length - this.inbound.rtpOverhead);
    if (headerLength < 0) return this.refuse('malformed');
    const seq = ((packet[2] ?? 0) << 8) | (packet[3] ?? 0);
    const ssrc = readU32(packet, 8);
    const stream = this.receiveStreams.get(ssrc);
    let roc = 0;
    if (stream !== undefined) {
      roc = guessRoc(stream.rollover.roc, stream.rollover.highestSeq, seq);
      if (roc < 0 || !stream.window.check(roc * 65536 + seq)) return this.refuse('replay');
    }
    const plain = this.inbound.unprotectRtp(packet, headerLength, ssrc, roc, seq);
    if (plain === undefined) return this.refuse('auth');
    if (stream === undefined) {
      const window = new ReplayWindow(this.windowSize);
      window.accept(seq);
      this.receiveStreams.set(ssrc, { rollover: new RolloverCounter(0, seq), window });
    } else {
      stream.rollover.advance(roc, seq);
      stream.window.accept(roc * 65536 + seq);
    }
    this.counters.rtpUnprotected++;
    return { ok: true, packet: plain };
  }

  protectRtcp(packet: Uint8Array): Buffer {
    if (packet.length < RTCP_HEADER || (packet[0] ?? 0) >> 6 !== 2) {
      throw new SrtpError('SRTP_NOT_A_PACKET', `RTCP packet of ${packet.length} bytes`);
    }
    const index = this.rtcpSendIndex;
    this.rtcpSendIndex = (index + 1) & SRTCP_INDEX_MASK;
    this.counters.rtcpProtected++;
    return this.outbound.protectRtcp(packet, readU32(packet, 4), index);
  }

  unprotectRtcp(packet: Uint8Array): Unprotected {
    const length = packet.length;
    if (length < RTCP_HEADER + this.inbound.rtcpOverhead || (packet[0] ?? 0) >> 6 !== 2) return this.refuse('malformed');
    const word = readU32(packet, this.inbound.rtcpIndexOffset(length));
    const index = word & SRTCP_INDEX_MASK;
    const encrypted = word >>> 31 === 1;
    const ssrc = readU32(packet, 4);
    const window = this.rtcpWindows.get(ssrc);
    if (window !== undefined && !window.check(index)) return this.refuse('replay');
    const plain = this.inbound.unprotectRtcp(packet, ssrc, index, encrypted);
    if (plain === undefined) return this.refuse('auth');
    if (window === undefined) {
      const created = new ReplayWindow(this.windowSize);
      created.accept(index);
      this.rtcpWindows.set(ssrc, created);
    } else {
      window.accept(index);
    }
    this.counters.rtcpUnprotected++;
    return { ok: true, packet: plain };
  }

  private refuse(failure: SrtpFailure): Unprotected {
    this.counters.failures[failure]++;
    return { ok: false, failure };
  }
}

/** An `SrtpSession` with the counters the media layer reads. */
export interface CountedSrtpSession extends SrtpSession {
  readonly counters: Readonly<SrtpCounters>;
}

/**
 * A call's SRTP session: `keys.local` protects what we send, `keys.remote` unprotects what we receive. Both must be
 * of the same suite (one `a=crypto` line was accepted). Throws `SrtpError` (`SRTP_KEY_LENGTH`, `SRTP_BAD_OPTION`)
 * for keys or options that cannot work; never on packets received later.
 */
export function createSrtpSession(keys: SrtpKeys, options: SrtpSessionOptions = {}): CountedSrtpSession {
  checkMaterial(keys.local, 'local');
  checkMaterial(keys.remote, 'remote');
  if (keys.local.suite !== keys.remote.suite) {
    throw new SrtpError('SRTP_BAD_OPTION', `local suite ${keys.local.suite} differs from remote ${keys.remote.suite}`);
  }
  const windowSize = options.replayWindow ?? DEFAULT_REPLAY_WINDOW;
  if (!Number.isInteger(windowSize) || windowSize < MIN_REPLAY_WINDOW || windowSize > MAX_REPLAY_WINDOW) {
    throw new SrtpError('SRTP_BAD_OPTION', `replayWindow ${windowSize} is not an integer in ${MIN_REPLAY_WINDOW}..${MAX_REPLAY_WINDOW}`);
  }
  return new Session(transformFor(keys.local), transformFor(keys.remote), keys.local.suite, windowSize);
}

/** A session over explicit transforms (tests: the RFC 7714 vectors state session keys, not master keys). */
export function createSrtpSessionFromTransforms(
  suite: SrtpSuite,
  outbound: SrtpTransform,
  inbound: SrtpTransform,
  options: SrtpSessionOptions = {},
): CountedSrtpSession {
  return new Session(outbound, inbound, suite, options.replayWindow ?? DEFAULT_REPLAY_WINDOW);
}
