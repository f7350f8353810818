/**
 * The packet-transport seam under RtpEndpoint: how a call's RTP and RTCP datagrams leave and arrive. The plain
 * transport is the call's UDP socket pair; SRTP wraps a transport (protect on send, unprotect on receive, refusals
 * counted and dropped) so the endpoint and the media engine above never see a key or a ciphertext. Latching and
 * source checks in RtpEndpoint see only packets that passed the layers below (an unauthenticated SRTP packet can
 * never latch).
 */

/** Which of the call's two flows a datagram belongs to (`rtp` also carries RTCP muxed per RFC 5761). */
export type PacketChannel = 'rtp' | 'rtcp';

export interface PacketSource {
  readonly address: string;
  readonly port: number;
}

/** Receives a datagram that passed the transport: the plain bytes, where it came from, and its arrival time. */
export type PacketHandler = (bytes: Buffer, from: PacketSource, channel: PacketChannel, arrivalMs: number) => void;

export interface PacketTransport {
  /** Local ports (the SDP's m= port and RTCP port). */
  readonly rtpPort: number;
  readonly rtcpPort: number;
  /** Starts delivering datagrams to `handler` (one handler; a second call replaces it). */
  receive(handler: PacketHandler): void;
  /**
   * Sends one datagram; never throws. `rtcp` says whether the bytes are an RTCP packet (sent on either channel:
   * muxed RTCP goes on `rtp`), so a protecting layer knows SRTP from SRTCP. Failures go to `onError`.
   */
  send(channel: PacketChannel, bytes: Uint8Array, rtcp: boolean, to: PacketSource, onError: (err: unknown) => void): void;
  /** Stops delivering; does not release the ports (the owner of the MediaPorts does). */
  close(): void;
}
