/**
 * SRTP over another packet transport: what arrives is unprotected before anyone above sees it, what leaves is
 * protected. A packet that does not unprotect (wrong key, tampered, replayed, too short: SRTP_FAILURES) is counted
 * and dropped here, so it can never latch RtpEndpoint onto its source nor be decoded and played to the agent. The
 * first authentication failure of a call is logged once (a wrong key shows at once); the rest are counted. RTCP
 * muxed on the RTP port is told from RTP by its packet type (the SRTP header leaves it in the clear), so SRTCP is
 * unprotected as SRTCP whichever port it came on. The keys change only by `rekey` (a re-INVITE with new keys).
 */
import type { Logger } from 'pino';
import { isRtcp } from './rtp/packet.js';
import type { PacketChannel, PacketHandler, PacketSource, PacketTransport } from './packet-transport.js';
import type { SrtpFailure, SrtpSession } from './srtp/types.js';

export type SrtpFailureCounts = Record<SrtpFailure, number>;

export const noSrtpFailures = (): SrtpFailureCounts => ({ auth: 0, replay: 0, malformed: 0 });

export interface SrtpTransportOptions {
  logger: Logger;
  /** Totals over all calls (the plane's, for `/stats` and `/metrics`), added to as this call refuses packets. */
  totals?: SrtpFailureCounts | undefined;
}

export class SrtpPacketTransport implements PacketTransport {
  /** This call's refusals, by failure. */
  readonly failures: SrtpFailureCounts = noSrtpFailures();
  /** Packets that unprotected (RTP and RTCP). */
  unprotected = 0;
  /** Sends whose protection threw (a library bug, never expected): the packet is not sent in the clear. */
  protectErrors = 0;

  constructor(
    private readonly inner: PacketTransport,
    private session: SrtpSession,
    private readonly options: SrtpTransportOptions,
  ) {}

  get rtpPort(): number {
    return this.inner.rtpPort;
  }

  get rtcpPort(): number {
    return this.inner.rtcpPort;
  }

  get suite(): SrtpSession['suite'] {
    return this.session.suite;
  }

  /** New keys (a re-INVITE changed them): packets from now on are protected and checked with this session. */
  rekey(session: SrtpSession): void {
    this.session = session;
  }

  receive(handler: PacketHandler): void {
    this.inner.receive((bytes, from, channel, arrivalMs) => {
      const session = this.session;
      const result = channel === 'rtcp' || isRtcp(bytes) ? session.unprotectRtcp(bytes) : session.unprotectRtp(bytes);
      if (!result.ok) {
        this.refuse(result.failure, from);
        return;
      }
      this.unprotected++;
      handler(result.packet, from, channel, arrivalMs);
    });
  }

  send(channel: PacketChannel, bytes: Uint8Array, rtcp: boolean, to: PacketSource, onError: (err: unknown) => void): void {
    let protectedBytes: Buffer;
    try {
      protectedBytes = rtcp ? this.session.protectRtcp(bytes) : this.session.protectRtp(bytes);
    } catch (err) {
      this.protectErrors++;
      onError(err);
      return;
    }
    this.inner.send(channel, protectedBytes, rtcp, to, onError);
  }

  close(): void {
    this.inner.close();
  }

  private refuse(failure: SrtpFailure, from: PacketSource): void {
    this.failures[failure]++;
    const totals = this.options.totals;
    if (totals) totals[failure]++;
    if (failure === 'auth' && this.failures.auth === 1) {
      this.options.logger.warn(
        { source: `${from.address}:${from.port}`, suite: this.session.suite },
        'SRTP authentication failed: packet dropped (a wrong key or not our peer; further failures of this call counted, not logged)',
      );
    }
  }
}
