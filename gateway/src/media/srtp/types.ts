/**
 * SRTP (RFC 3711) and its AEAD form (RFC 7714): the contract the crypto library implements and the media engine
 * uses. A pure library: it knows packets and keys, nothing of SIP, SDP or calls. Keys reach it from SDES
 * (`a=crypto`, RFC 4568), negotiated in sdp/.
 */

/**
 * The crypto suites we speak, one table (RFC 4568 §6.2 names; RFC 7714 §14.2 for GCM). Lengths in bytes.
 * `tagLength` is the authentication tag (HMAC-SHA1 truncated to 80 or 32 bits, or the GCM tag); SRTCP always
 * carries the full 80-bit tag for the HMAC suites (RFC 3711 §5.2).
 */
export const SRTP_SUITES = {
  AES_CM_128_HMAC_SHA1_80: { keyLength: 16, saltLength: 14, tagLength: 10, rtcpTagLength: 10, aead: false },
  AES_CM_128_HMAC_SHA1_32: { keyLength: 16, saltLength: 14, tagLength: 4, rtcpTagLength: 10, aead: false },
  AEAD_AES_128_GCM: { keyLength: 16, saltLength: 12, tagLength: 16, rtcpTagLength: 16, aead: true },
} as const;

export type SrtpSuite = keyof typeof SRTP_SUITES;

/** Our preference when we offer or pick: GCM first (one AES pass, no HMAC), then the 80-bit tag, then the 32-bit. */
export const SRTP_SUITE_PREFERENCE: readonly SrtpSuite[] = ['AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'];

/** One direction's master key and salt (the SDES `inline:` key-params, decoded). */
export interface SrtpKeyMaterial {
  readonly suite: SrtpSuite;
  readonly masterKey: Uint8Array;
  readonly masterSalt: Uint8Array;
}

/** A call's keys: ours protect what we send, the peer's unprotect what we receive (a key per direction). */
export interface SrtpKeys {
  readonly local: SrtpKeyMaterial;
  readonly remote: SrtpKeyMaterial;
}

/**
 * Why a received packet was refused, one table: counted per call and in `/stats`/`/metrics`, never played.
 * - `auth`: the tag did not verify (wrong key, tampered, or not SRTP at all);
 * - `replay`: an index already seen or too old for the replay window (RFC 3711 §3.3.2);
 * - `malformed`: too short for a header and tag, or a header that does not parse.
 */
export const SRTP_FAILURES = ['auth', 'replay', 'malformed'] as const;
export type SrtpFailure = (typeof SRTP_FAILURES)[number];

/** The outcome of unprotecting a packet: the plain RTP/RTCP bytes, or why it was refused (no throw on the hot path). */
export type Unprotected = { readonly ok: true; readonly packet: Buffer } | { readonly ok: false; readonly failure: SrtpFailure };

/**
 * One direction pair of SRTP state for one call: protects what we send with the local key and unprotects what we
 * receive with the remote key, for RTP and RTCP (SRTCP), with per-SSRC rollover counters and replay windows.
 * Not thread-safe; one per call, used from the call's media thread.
 */
export interface SrtpSession {
  readonly suite: SrtpSuite;
  protectRtp(packet: Uint8Array): Buffer;
  unprotectRtp(packet: Uint8Array): Unprotected;
  protectRtcp(packet: Uint8Array): Buffer;
  unprotectRtcp(packet: Uint8Array): Unprotected;
}
