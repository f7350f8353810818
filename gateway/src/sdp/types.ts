/** The public shapes of SDP negotiation. */

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
}
