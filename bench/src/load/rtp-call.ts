/**
 * One call's media at the load generator: its own RTP socket, a send side driven by the shared ticker (one packet
 * per call, the payload taken from a precomputed µ-law loop, the send time kept in a side table indexed by packet
 * number), and a receive side that records loss, interarrival jitter and the echo/turn/barge-in measurements.
 */
import { randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { Samples } from '../stats.js';
import { ulawDecodeInto } from './g711.js';
import { BargeInTracker, type BargeInCounts } from './barge-in-tracker.js';
import type { CallKind } from './call-mix.js';
import { MarkerTracker, TurnTracker } from './markers.js';
import { CALLER_RATE, SAMPLES_PER_PACKET, TALKER_BED_PEAK } from './signals.js';

export type { CallKind } from './call-mix.js';

/** One kind of call's caller audio: a µ-law loop of `packets` packets. */
export interface CallerLoop {
  readonly payload: Uint8Array;
  readonly packets: number;
}

/** The shared audio and the shared result sinks every call writes to. */
export interface CallShared {
  readonly echoPayload: Uint8Array;
  readonly echoPackets: number;
  readonly turnPayload: Uint8Array;
  readonly turnPackets: number;
  readonly turnUtterancePackets: number;
  readonly bargeIn: CallerLoop & { readonly onsetPacket: number };
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

function loopFor(kind: CallKind, shared: CallShared): CallerLoop {
  switch (kind) {
    case 'echo':
      return { payload: shared.echoPayload, packets: shared.echoPackets };
    case 'turn':
      return { payload: shared.turnPayload, packets: shared.turnPackets };
    case 'bargeIn':
      return shared.bargeIn;
  }
}

export class RtpCall {
  readonly sent = new Samples(4096);
  received = 0;
  remote: { address: string; port: number } | undefined;
  sending = false;
  private readonly ssrc = randomInt(1, 0xffffffff);
  private seq = randomInt(0, 0x10000);
  private ts = randomInt(0, 0x1_0000_0000);
  private readonly decoded = new Int16Array(SAMPLES_PER_PACKET);
  private readonly marker: MarkerTracker | undefined;
  private readonly turn: TurnTracker | undefined;
  private readonly bargeIn: BargeInTracker | undefined;
  private readonly callerLoop: CallerLoop;
  // Receive state
  private firstExt = -1;
  private highestExt = -1;
  private lastSeq = -1;
  private lastArrival = 0;
  private lastTs = 0;
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    readonly kind: CallKind,
    private readonly shared: CallShared,
  ) {
    this.callerLoop = loopFor(kind, shared);
    const sentMs = (i: number): number | undefined => this.sent.at(i);
    if (kind === 'echo') {
      this.marker = new MarkerTracker(
        { template: shared.template, periodPackets: shared.echoPackets, triggerPeak: MARKER_TRIGGER_PEAK, minNcc: MIN_NCC },
        sentMs,
        (ms) => shared.roundTripMs.push(ms),
      );
    } else if (kind === 'turn') {
      this.turn = new TurnTracker(shared.turnPackets, shared.turnUtterancePackets, TURN_TRIGGER_PEAK, sentMs, (ms) => shared.turnMs.push(ms));
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

  /** Send the next packet now (the ticker calls this at the packet's due time). */
  sendNext(): void {
    const remote = this.remote;
    if (this.closed || !this.sending || remote === undefined) return;
    const index = this.sent.length;
    const { payload, packets } = this.callerLoop;
    const at = (index % packets) * SAMPLES_PER_PACKET;
    const packet = Buffer.allocUnsafe(12 + SAMPLES_PER_PACKET);
    packet[0] = 0x80;
    packet[1] = index === 0 ? 0x80 : 0;
    packet.writeUInt16BE(this.seq, 2);
    packet.writeUInt32BE(this.ts, 4);
    packet.writeUInt32BE(this.ssrc, 8);
    packet.set(payload.subarray(at, at + SAMPLES_PER_PACKET), 12);
    this.sent.push(performance.now());
    this.socket.send(packet, remote.port, remote.address);
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + SAMPLES_PER_PACKET) >>> 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sending = false;
    this.socket.close();
  }

  private onRtp(msg: Buffer, arrivalMs: number): void {
    const b0 = msg[0] ?? 0;
    if (msg.length < 12 || b0 >> 6 !== 2) return;
    let offset = 12 + (b0 & 0x0f) * 4;
    if ((b0 & 0x10) !== 0) {
      if (msg.length < offset + 4) return;
      offset += 4 + msg.readUInt16BE(offset + 2) * 4;
    }
    const pt = (msg[1] ?? 0) & 0x7f;
    if (pt !== 0 || msg.length <= offset) return;
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
      const transitDelta = arrivalMs - this.lastArrival - (((ts - this.lastTs) | 0) / CALLER_RATE) * 1000;
      this.shared.jitterMs.push(Math.abs(transitDelta));
    }
    this.lastSeq = seq;
    this.lastArrival = arrivalMs;
    this.lastTs = ts;
    const peak = ulawDecodeInto(msg.subarray(offset, offset + SAMPLES_PER_PACKET), this.decoded);
    this.marker?.push(this.decoded, peak, arrivalMs);
    this.turn?.push(peak, arrivalMs);
    this.bargeIn?.push(peak, arrivalMs);
  }
}
