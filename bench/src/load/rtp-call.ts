/**
 * One call's media at the load generator: its own RTP socket, connected to the far end once the answer is in (a
 * connected socket sends synchronously, with no address lookup per packet); a send side driven by the shared ticker
 * (one packet per call: a header written into a small ring of reused buffers, the payload a view of the run's
 * precomputed loop, the send time kept in a side table indexed by packet number); and a receive side that records
 * loss, interarrival jitter (RFC 3550, at the codec's RTP clock) and the echo/turn/barge-in measurements.
 *
 * SRTP calls (`start` with keys): each packet is written whole into a reused buffer and protected (one new buffer
 * per packet, the library's); what arrives is unprotected first, and a packet that does not unprotect is counted in
 * `srtpRefused` and goes no further (RTCP muxed on the port is left alone, as on plain calls).
 */
import { randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { createSrtpSession, isRtcp, type SrtpKeys, type SrtpSession } from '@patchbay/gateway';
import { Samples } from '../stats.js';
import { BargeInTracker, type BargeInCounts } from './barge-in-tracker.js';
import type { CallKind } from './call-mix.js';
import type { CodecProfile } from './codec-profile.js';
import { MarkerTracker, TurnTracker } from './markers.js';
import { PacketDecoder } from './packet-decoder.js';
import type { PayloadLoop } from './payload-loop.js';
import { TALKER_BED_PEAK } from './signals.js';

export type { CallKind } from './call-mix.js';

/** The shared audio and the shared result sinks every call writes to. */
export interface CallShared {
  readonly codec: CodecProfile;
  /** The echo caller's loop and the packet of it where the marker starts (default 0). */
  readonly echo: PayloadLoop & { readonly markerPacket?: number };
  readonly turn: PayloadLoop & { readonly utterancePackets: number };
  readonly bargeIn: PayloadLoop & { readonly onsetPacket: number };
  /** The marker at 8 kHz. */
  readonly template: Int16Array;
  readonly roundTripMs: Samples;
  readonly turnMs: Samples;
  /** Caller onset packet sent → the agent's last packet received before it went silent (barge-in calls). */
  readonly bargeInMs: Samples;
  readonly bargeInCounts: BargeInCounts;
  /** |D(i−1, i)| of RFC 3550 §6.4.1 for every pair of consecutive packets received, in ms. */
  readonly jitterMs: Samples;
}

const MARKER_TRIGGER_PEAK = 3_000;
const TURN_TRIGGER_PEAK = 2_000;
const MIN_NCC = 0.5;
/** The gateway's silence decodes to 0; the talker's bed tone alone peaks at TALKER_BED_PEAK. */
const SILENT_PEAK = Math.round(TALKER_BED_PEAK / 6);
const GAP_PACKETS = 3;

/**
 * Headers in flight per call. A connected socket hands a packet to the kernel inside `send()` (uv_udp_try_send), so
 * a header is free again at once; the ring only covers a full socket buffer, when libuv queues the send instead.
 */
const HEADER_RING = 4;
const RTP_HEADER_BYTES = 12;

function loopFor(kind: CallKind, shared: CallShared): PayloadLoop {
  switch (kind) {
    case 'echo':
      return shared.echo;
    case 'turn':
      return shared.turn;
    case 'bargeIn':
      return shared.bargeIn;
  }
}

export class RtpCall {
  readonly sent = new Samples(4096);
  received = 0;
  sending = false;
  /** The payload type we send and accept: our offer's until the answer gives its own (`start`). */
  payloadType: number;
  private connected = false;
  private readonly ssrc = randomInt(1, 0xffffffff);
  private seq = randomInt(0, 0x10000);
  private ts = randomInt(0, 0x1_0000_0000);
  private readonly headers: Buffer[];
  private readonly datagram: [Buffer, Uint8Array];
  private readonly decoder: PacketDecoder;
  private readonly marker: MarkerTracker | undefined;
  private readonly turn: TurnTracker | undefined;
  private readonly bargeIn: BargeInTracker | undefined;
  private readonly callerLoop: PayloadLoop;
  // Receive state
  private firstExt = -1;
  private highestExt = -1;
  private lastSeq = -1;
  private lastArrival = 0;
  private lastTs = 0;
  private closed = false;
  private srtp: SrtpSession | undefined;
  private plain: Buffer | undefined;
  /** Received packets the SRTP session refused (auth, replay, malformed); muxed RTCP is ignored, not counted. */
  srtpRefused = 0;
  /** Echo calls: the send time of every marker found back. */
  private readonly markersBackSentMs: number[] = [];

  private constructor(
    private readonly socket: Socket,
    readonly kind: CallKind,
    private readonly shared: CallShared,
  ) {
    this.callerLoop = loopFor(kind, shared);
    this.payloadType = shared.codec.offerPayloadType;
    const ring = Buffer.alloc(HEADER_RING * RTP_HEADER_BYTES);
    this.headers = Array.from({ length: HEADER_RING }, (_, i) => ring.subarray(i * RTP_HEADER_BYTES, (i + 1) * RTP_HEADER_BYTES));
    this.datagram = [ring.subarray(0, RTP_HEADER_BYTES), new Uint8Array(0)];
    this.decoder = new PacketDecoder(shared.codec.name, { pcm8k: kind === 'echo' });
    const sentMs = (i: number): number | undefined => this.sent.at(i);
    if (kind === 'echo') {
      this.marker = new MarkerTracker(
        {
          template: shared.template, periodPackets: shared.echo.packets, offsetPackets: shared.echo.markerPacket ?? 0, triggerPeak: MARKER_TRIGGER_PEAK, minNcc: MIN_NCC,
          receiveDelayMs: this.decoder.delayMs,
        },
        sentMs,
        (ms, markerSentMs) => {
          shared.roundTripMs.push(ms);
          this.markersBackSentMs.push(markerSentMs);
        },
      );
    } else if (kind === 'turn') {
      this.turn = new TurnTracker(shared.turn.packets, shared.turn.utterancePackets, TURN_TRIGGER_PEAK, sentMs, (ms) => shared.turnMs.push(ms));
    } else {
      this.bargeIn = new BargeInTracker(
        { cyclePackets: shared.bargeIn.packets, onsetPacket: shared.bargeIn.onsetPacket, silentPeak: SILENT_PEAK, gapPackets: GAP_PACKETS },
        sentMs,
        shared.bargeInCounts,
        (ms) => shared.bargeInMs.push(ms),
      );
    }
    socket.on('message', (msg: Buffer) => this.onRtp(msg, performance.now()));
    socket.on('error', () => undefined);
  }

  static async open(kind: CallKind, shared: CallShared): Promise<RtpCall> {
    const socket = createSocket({ type: 'udp4', recvBufferSize: 256 << 10 });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new RtpCall(socket, kind, shared);
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Packets the far end sent that never arrived (from the sequence numbers), and those that did. */
  get expected(): number {
    return this.firstExt < 0 ? 0 : this.highestExt - this.firstExt + 1;
  }

  /**
   * Connect to the far end's RTP address from the answer and take its payload type; sends while `sending`. With
   * `srtp`, every packet is SRTP both ways from here on.
   */
  async start(remote: { readonly address: string; readonly port: number }, payloadType: number, srtp?: SrtpKeys): Promise<void> {
    this.payloadType = payloadType;
    if (srtp !== undefined) {
      this.srtp = createSrtpSession(srtp);
      const longest = this.callerLoopMaxPayload();
      this.plain = Buffer.alloc(RTP_HEADER_BYTES + longest);
    }
    if (this.closed) return;
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error): void => reject(err);
      this.socket.once('error', fail);
      this.socket.connect(remote.port, remote.address, () => {
        this.socket.off('error', fail);
        resolve();
      });
    });
    this.connected = true;
  }

  /** Send the next packet now (the ticker calls this at the packet's due time). */
  sendNext(): void {
    if (this.closed || !this.sending || !this.connected) return;
    const index = this.sent.length;
    const { payloads, packets } = this.callerLoop;
    const header = this.headers[index % HEADER_RING];
    const payload = payloads[index % packets];
    if (header === undefined || payload === undefined) return;
    header[0] = 0x80;
    header[1] = (index === 0 ? 0x80 : 0) | this.payloadType;
    header.writeUInt16BE(this.seq, 2);
    header.writeUInt32BE(this.ts, 4);
    header.writeUInt32BE(this.ssrc, 8);
    this.sent.push(performance.now());
    if (this.srtp !== undefined && this.plain !== undefined) {
      const plain = this.plain;
      plain.set(header, 0);
      plain.set(payload, RTP_HEADER_BYTES);
      this.socket.send(this.srtp.protectRtp(plain.subarray(0, RTP_HEADER_BYTES + payload.length)));
    } else {
      this.datagram[0] = header;
      this.datagram[1] = payload;
      this.socket.send(this.datagram); // dgram copies the list: the array is ours to reuse
    }
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + this.shared.codec.timestampStep) >>> 0;
  }

  /**
   * Echo calls: markers sent at least `dueMs` before the last packet sent (each had time to come back), and how many
   * of those came back. Other calls: 0 and 0.
   */
  markers(dueMs: number): { readonly due: number; readonly back: number } {
    if (this.kind !== 'echo') return { due: 0, back: 0 };
    const last = this.sent.at(this.sent.length - 1);
    if (last === undefined) return { due: 0, back: 0 };
    const cutoff = last - dueMs;
    const { packets } = this.shared.echo;
    const offset = this.shared.echo.markerPacket ?? 0;
    let due = 0;
    for (let k = 0; ; k++) {
      const t = this.sent.at(k * packets + offset);
      if (t === undefined || t > cutoff) break;
      due++;
    }
    return { due, back: this.markersBackSentMs.filter((t) => t <= cutoff).length };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sending = false;
    this.socket.close();
    this.decoder.close();
  }

  private callerLoopMaxPayload(): number {
    let longest = 0;
    for (const p of this.callerLoop.payloads) longest = Math.max(longest, p.length);
    return longest;
  }

  private onRtp(received: Buffer, arrivalMs: number): void {
    let msg = received;
    if (this.srtp !== undefined) {
      if (isRtcp(received)) return;
      const r = this.srtp.unprotectRtp(received);
      if (!r.ok) {
        this.srtpRefused++;
        return;
      }
      msg = r.packet;
    }
    const b0 = msg[0] ?? 0;
    if (msg.length < 12 || b0 >> 6 !== 2) return;
    let offset = 12 + (b0 & 0x0f) * 4;
    if ((b0 & 0x10) !== 0) {
      if (msg.length < offset + 4) return;
      offset += 4 + msg.readUInt16BE(offset + 2) * 4;
    }
    const pt = (msg[1] ?? 0) & 0x7f;
    if (pt !== this.payloadType || msg.length <= offset) return;
    const seq = msg.readUInt16BE(2);
    const ts = msg.readUInt32BE(4);
    // Extended sequence number (RFC 3550 A.1, simplified: no restart detection).
    let ext: number;
    if (this.firstExt < 0) {
      ext = seq;
      this.firstExt = seq;
      this.highestExt = seq;
    } else {
      const delta = (seq - (this.highestExt & 0xffff) + 0x10000) & 0xffff;
      ext = delta < 0x8000 ? this.highestExt + delta : this.highestExt - (0x10000 - delta);
      if (ext > this.highestExt) this.highestExt = ext;
    }
    this.received++;
    if (this.lastSeq >= 0 && ((this.lastSeq + 1) & 0xffff) === seq) {
      const transitDelta = arrivalMs - this.lastArrival - (((ts - this.lastTs) | 0) / this.shared.codec.rtpClockRate) * 1000;
      this.shared.jitterMs.push(Math.abs(transitDelta));
    }
    this.lastSeq = seq;
    this.lastArrival = arrivalMs;
    this.lastTs = ts;
    const peak = this.decoder.decode(msg, offset);
    this.marker?.push(this.decoder.pcm8k, peak, arrivalMs);
    this.turn?.push(peak, arrivalMs);
    this.bargeIn?.push(peak, arrivalMs);
  }
}
