/**
 * Who was already sending to a call's RTP/RTCP ports before our answer went out. The caller learns our port from
 * the answer (or, for a late offer, from the 200 that carries our offer), so a source sending before it is not the
 * caller: an attacker spraying the port range, or an old call's RTP still flowing after a restart. The ports are
 * bound at the call's admission, long before the answer; from then until the media starts, every datagram's source
 * is noted with when it was first seen, and the call's RTP endpoint never latches onto one seen before the answer.
 *
 * Bounded: at most MAX_SOURCES source address:port pairs and as many addresses are kept. Past the first bound a
 * source is judged by its address alone (its address sent before the answer: barred), so a flood from many ports of
 * one host cannot push its own entries out.
 */
import type { RemoteInfo } from 'node:dgram';
import type { MediaPorts } from './port-pool.js';

/** Sources a call's endpoint must never latch onto. */
export interface SourceBar {
  isBarred(address: string, port: number): boolean;
}

export const MAX_SOURCES = 4096;

/** Wall-clock ms comparable across threads (the answer may be stamped on the main thread, seen in a worker). */
export function epochNowMs(): number {
  return performance.timeOrigin + performance.now();
}

export class PreAnswerSources implements SourceBar {
  /** `address|port` → when first seen (epochNowMs). */
  private readonly sources = new Map<string, number>();
  /** address → when first seen, for judging sources past the bound. */
  private readonly addresses = new Map<string, number>();
  private overflowed = false;
  private answeredAtMs: number | undefined;
  private readonly listener = (_msg: Buffer, rinfo: RemoteInfo): void => this.seen(rinfo.address, rinfo.port);
  private listening = true;

  constructor(private readonly ports: Pick<MediaPorts, 'rtp' | 'rtcp'>) {
    ports.rtp.on('message', this.listener);
    ports.rtcp.on('message', this.listener);
  }

  /** Distinct sources noted (bounded). */
  get count(): number {
    return this.sources.size;
  }

  /** Our SDP went out at `atMs` (epochNowMs, maybe stamped on another thread). The first call wins. */
  answered(atMs: number = epochNowMs()): void {
    this.answeredAtMs ??= atMs;
  }

  /**
   * The media starts: stop listening (the endpoint takes the sockets over in the same tick, so no datagram goes
   * unseen). Without an answer stamp, everything seen so far counts as before the answer. Idempotent.
   */
  stop(): void {
    if (!this.listening) return;
    this.listening = false;
    this.answered();
    this.ports.rtp.off('message', this.listener);
    this.ports.rtcp.off('message', this.listener);
  }

  isBarred(address: string, port: number): boolean {
    const cutoff = this.answeredAtMs;
    if (cutoff === undefined) return true; // not answered yet: nobody can be the caller
    const first = this.sources.get(key(address, port));
    if (first !== undefined) return first < cutoff;
    if (!this.overflowed) return false;
    const host = this.addresses.get(normalizeAddress(address));
    return host !== undefined && host < cutoff;
  }

  private seen(address: string, port: number): void {
    const at = epochNowMs();
    const host = normalizeAddress(address);
    if (!this.addresses.has(host) && this.addresses.size < MAX_SOURCES) this.addresses.set(host, at);
    const k = key(address, port);
    if (this.sources.has(k)) return;
    if (this.sources.size < MAX_SOURCES) this.sources.set(k, at);
    else this.overflowed = true;
  }
}

/** One spelling per IP address: lower case, IPv4-mapped IPv6 (`::ffff:a.b.c.d`) as plain IPv4. */
export function normalizeAddress(address: string): string {
  const a = address.toLowerCase();
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

function key(address: string, port: number): string {
  return `${normalizeAddress(address)}|${port}`;
}
