/** The public shapes of SDP negotiation. */
import type { SrtpKeyMaterial, SrtpKeys, SrtpSuite } from '../media/srtp/types.js';

/**
 * Whether a call's media is SRTP (SDES keys, RFC 4568): `off` plain RTP/AVP only (an RTP/SAVP offer is refused);
 * `optional` RTP/SAVP when offered, plain when plain (our own offers are plain); `required` RTP/SAVP only, both ways.
 */
export const SRTP_POLICIES = ['off', 'optional', 'required'] as const;
export type SrtpPolicy = (typeof SRTP_POLICIES)[number];

/** Our SRTP side of a session. */
export interface LocalSrtp {
  readonly policy: SrtpPolicy;
  /** Suites we accept and offer, in our preference order (an answer picks the first of these that was offered). */
  readonly suites: readonly SrtpSuite[];
  /** Our master key and salt per suite, drawn fresh for each call by the caller (`crypto.randomBytes`). */
  readonly keys: Readonly<Partial<Record<SrtpSuite, SrtpKeyMaterial>>>;
}

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** Our side of the session: where we receive RTP and what we can do. */
export interface LocalMedia {
  /** Our RTP address (IPv4 or IPv6); RTCP is on port + 1. */
  address: string;
  port: number;
  /** Our preference order, names from codecs.ts, e.g. ['PCMU', 'PCMA']. */
  codecs: string[];
  /** Offer/accept telephone-event (RFC 4733). Default true. */
  telephoneEvent?: boolean;
  /** Default 20. */
  ptimeMs?: number;
  /** What we want. Default sendrecv. */
  direction?: Direction;
  sessionId: string;
  /** The caller increments it for every new SDP it sends in the session (re-INVITE answers too). */
  sessionVersion: number;
  /** o= username. Default '-'. */
  username?: string;
  /** s= line. Default '-'. */
  sessionName?: string;
  /** SRTP policy, suites and our keys; default plain RTP only (policy `off`). */
  srtp?: LocalSrtp;
}

export interface NegotiatedMedia {
  codec: { name: string; payloadType: number; clockRate: number; channels: number; fmtp?: string };
  telephoneEvent?: { payloadType: number; clockRate: number };
  /**
   * rtcpPort from a=rtcp, else rtpPort + 1; 0 means send no RTCP: no valid port (`m=audio 65535` without a=rtcp),
   * a=rtcp names another address, or the stream is held with c=0.0.0.0. rtpPort is always 1–65535.
   */
  remote: { address: string; rtpPort: number; rtcpPort: number };
  /** OUR resulting direction (remote sendonly → we recvonly, etc.). */
  direction: Direction;
  /** The remote put us on hold: sendonly/inactive, or c=0.0.0.0 (RFC 2543 style). */
  onHold: boolean;
  /** Packetisation to send with: the remote's a=ptime (capped by a=maxptime) when valid, else ours. */
  ptimeMs: number;
  /** Present when the stream is SRTP (RTP/SAVP): the chosen suite's keys, ours (local) and the peer's (remote). */
  srtp?: SrtpKeys;
}
