/**
 * The load generator: gets calls up at a given rate (inbound: it INVITEs the target over one shared SIP socket;
 * outbound: it asks the gateway to call it and answers as the carrier, see `call-placer.ts`), gives each its own RTP
 * socket, and drives every call's audio from ONE timer: the 20 ms packet period is cut into `BUCKETS` slots and call
 * i sends in slot i mod BUCKETS, so packets leave spread over the period on an absolute schedule (a late timer never
 * shifts the schedule: the next tick catches up). Results go to shared sample sets. Which kind a call is:
 * `callKindOf`; the load generator plays the human on the phone in both directions (same audio, same measurements).
 *
 * Every call uses the one codec of the run. The callers' audio loops are encoded once, before the first call
 * (`encodeLoop`); each call decodes what it receives with its own decoder (`PacketDecoder`).
 */
import { loadDemoPrompts } from '@patchbay/agents';
import { loadResampler, type SrtpSuite } from '@patchbay/gateway';
import { Samples } from '../stats.js';
import { emptyBargeInCounts, type BargeInCounts } from './barge-in-tracker.js';
import { callKindOf, type CallKind, type CallMix } from './call-mix.js';
import { codecProfile, type CodecName } from './codec-profile.js';
import { encodeLoop } from './payload-loop.js';
import { failureKey, InboundPlacer, type CallPlacer, type PlacedCall } from './call-placer.js';
import { OutboundPlacer, type OutboundTarget } from './outbound-placer.js';
import { RtpCall, type CallShared } from './rtp-call.js';
import type { SipUas } from './sip-uas.js';
import { bargeInCycle, decimate24kTo8k, echoCycle, ECHO_PAUSE_MS, markerTemplate, PACKET_MS, turnCycle } from './signals.js';

const BUCKETS = 10;
const SLOT_MS = PACKET_MS / BUCKETS;
/** Barge-in calls: the caller stays quiet this long while the talker talks, then speaks over it. */
export const BARGE_IN_LEAD_MS = 2_000;

export interface LoadTarget extends CallMix {
  readonly host: string;
  readonly sipPort: number;
  readonly echoNumber: string;
  readonly turnNumber: string;
  /** The talker agent's number, for barge-in calls. */
  readonly bargeInNumber: string;
  /** The codec every call offers (alone). */
  readonly codec: CodecName;
  /** Inbound calls offer `RTP/SAVP` with this suite alone (a fresh SDES key per call); plain RTP when absent. */
  readonly srtp?: SrtpSuite;
}

export interface LoadCounters {
  readonly packetsSent: number;
  readonly packetsReceived: number;
  readonly packetsExpected: number;
  readonly activeCalls: number;
  /** Received packets our SRTP sessions refused (0 on plain runs). */
  readonly srtpRefused: number;
  /** Echo markers sent at least ECHO_PAUSE_MS before their call stopped sending, and how many of those came back. */
  readonly markersDue: number;
  readonly markersBack: number;
}

/**
 * Everything the load generator has counted so far, for windows: take one at a window's start and one at its end
 * and diff them (the sample-set lengths say where the window's samples start: `Samples.since`).
 */
export interface LoadSnapshot {
  readonly atMs: number;
  readonly counters: LoadCounters;
  /** Packets received on echo calls (whose agent sends back one 20 ms frame per caller frame). */
  readonly echoPacketsReceived: number;
  readonly roundTrips: number;
  readonly turns: number;
  readonly bargeIns: number;
  readonly jitterSamples: number;
  readonly bargeInCounts: BargeInCounts;
  /** Calls that failed (any reason), and calls the far end ended. */
  readonly failed: number;
  readonly endedByFarEnd: number;
}

interface LiveCall {
  readonly media: RtpCall;
  placed: PlacedCall | undefined;
  answeredMs: number;
  endedMs: number;
}

export class LoadGenerator {
  readonly setupMs = new Samples();
  readonly shared: CallShared;
  readonly failures = new Map<string, number>();
  private readonly buckets: LiveCall[][] = Array.from({ length: BUCKETS }, () => []);
  private readonly calls: LiveCall[] = [];
  private placed = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly t0 = performance.now();
  private slot = 0;
  private byeFromFarEnd = 0;

  private constructor(
    private readonly placer: CallPlacer,
    private readonly target: LoadTarget,
  ) {
    const speech = decimate24kTo8k(loadDemoPrompts().welcome);
    const cycle = turnCycle(speech, 2_500);
    const barge = bargeInCycle(speech, BARGE_IN_LEAD_MS);
    // Echo callers talk with pauses (the same utterance), the round-trip marker in each pause: see `echoCycle`.
    const echo = echoCycle(speech);
    const codec = target.codec;
    this.shared = {
      codec: codecProfile(codec),
      echo: { ...encodeLoop(echo.pcm, codec), markerPacket: echo.markerPacket },
      turn: { ...encodeLoop(cycle.pcm, codec), utterancePackets: cycle.utterancePackets },
      bargeIn: { ...encodeLoop(barge.pcm, codec), onsetPacket: barge.onsetPacket },
      template: markerTemplate(),
      roundTripMs: new Samples(),
      turnMs: new Samples(),
      bargeInMs: new Samples(),
      bargeInCounts: emptyBargeInCounts(),
      jitterMs: new Samples(1 << 20),
    };
  }

  /** Inbound: INVITE `target.host:target.sipPort`. */
  static async create(target: LoadTarget): Promise<LoadGenerator> {
    await loadResampler();
    const placer = await InboundPlacer.open(target.host, target.sipPort, { numberFor: (k) => numberFor(target, k) }, codecProfile(target.codec), target.srtp);
    const gen = new LoadGenerator(placer, target);
    gen.tick();
    return gen;
  }

  /**
   * Outbound: the gateway calls `uas` (the carrier its outbound trunk points at) when asked by `POST /v1/calls`;
   * `target.host`/`sipPort` are unused. The generator owns `uas` from here (closed with it).
   */
  static async createOutbound(target: LoadTarget, uas: SipUas, outbound: Omit<OutboundTarget, 'numberFor'>): Promise<LoadGenerator> {
    await loadResampler();
    const placer = new OutboundPlacer(uas, { ...outbound, numberFor: (k) => numberFor(target, k) }, codecProfile(target.codec));
    const gen = new LoadGenerator(placer, target);
    gen.tick();
    return gen;
  }

  /** The outbound figures (INVITE → ACK, POST → INVITE, POST → API answer), when the calls are outbound. */
  get outboundSamples(): OutboundPlacer['samples'] | undefined {
    return this.placer instanceof OutboundPlacer ? this.placer.samples : undefined;
  }

  get activeCalls(): number {
    return this.calls.filter((c) => c.placed !== undefined && c.endedMs === 0).length;
  }

  /** Calls ended by the far end (a BYE we did not send). */
  get endedByFarEnd(): number {
    return this.byeFromFarEnd;
  }

  counters(): LoadCounters {
    let sent = 0;
    let received = 0;
    let expected = 0;
    let srtpRefused = 0;
    let markersDue = 0;
    let markersBack = 0;
    for (const c of this.calls) {
      const m = c.media.markers(ECHO_PAUSE_MS);
      markersDue += m.due;
      markersBack += m.back;
      sent += c.media.sent.length;
      received += c.media.received;
      expected += c.media.expected;
      srtpRefused += c.media.srtpRefused;
    }
    return { packetsSent: sent, packetsReceived: received, packetsExpected: expected, activeCalls: this.activeCalls, srtpRefused, markersDue, markersBack };
  }

  /** The counts so far (no side effect: a window is the diff of two snapshots). */
  snapshot(): LoadSnapshot {
    let echoReceived = 0;
    for (const c of this.calls) if (c.media.kind === 'echo') echoReceived += c.media.received;
    let failed = 0;
    for (const n of this.failures.values()) failed += n;
    const s = this.shared;
    return {
      atMs: performance.now(),
      counters: this.counters(),
      echoPacketsReceived: echoReceived,
      roundTrips: s.roundTripMs.length,
      turns: s.turnMs.length,
      bargeIns: s.bargeInMs.length,
      jitterSamples: s.jitterMs.length,
      bargeInCounts: { ...s.bargeInCounts },
      failed,
      endedByFarEnd: this.byeFromFarEnd,
    };
  }

  /** Seconds of answered call time so far (until now for calls still up). */
  callSeconds(fromMs: number, toMs: number): number {
    let total = 0;
    for (const c of this.calls) {
      if (c.answeredMs === 0) continue;
      const start = Math.max(fromMs, c.answeredMs);
      const end = Math.min(toMs, c.endedMs === 0 ? toMs : c.endedMs);
      if (end > start) total += end - start;
    }
    return total / 1000;
  }

  /** Place `count` calls at `rate` per second; resolves when every one is answered or has failed. */
  async addCalls(count: number, rate: number): Promise<void> {
    const pending: Promise<void>[] = [];
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      pending.push(this.placeCall());
    }
    await Promise.all(pending);
  }

  /** BYE every live call (at most `rate` per second), then close every RTP socket. */
  async hangUpAll(rate = 500): Promise<void> {
    const live = this.calls.filter((c) => c.placed !== undefined && c.endedMs === 0);
    const byes: Promise<number>[] = [];
    for (const [i, call] of live.entries()) {
      if (i > 0 && i % Math.max(1, Math.round(rate / 50)) === 0) await new Promise((r) => setTimeout(r, 20));
      call.media.sending = false;
      call.endedMs = performance.now();
      if (call.placed !== undefined) byes.push(call.placed.hangUp());
    }
    const statuses = await Promise.all(byes);
    for (const s of statuses) if (s !== 200) this.fail(`BYE ${s === 0 ? 'timeout' : String(s)}`);
  }

  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const c of this.calls) c.media.close();
    this.placer.close();
  }

  private fail(reason: string): void {
    this.failures.set(reason, (this.failures.get(reason) ?? 0) + 1);
  }

  private async placeCall(): Promise<void> {
    const n = this.placed++;
    const kind: CallKind = callKindOf(n, this.target);
    const media = await RtpCall.open(kind, this.shared);
    const call: LiveCall = { media, placed: undefined, answeredMs: 0, endedMs: 0 };
    this.calls.push(call);
    try {
      const placed = await this.placer.place(n, kind, media.port);
      this.setupMs.push(placed.setupMs);
      call.placed = placed;
      call.answeredMs = performance.now();
      media.sending = true;
      placed.onFarEndHangUp(() => {
        this.byeFromFarEnd++;
        media.sending = false;
        call.endedMs = performance.now();
      });
      await media.start(placed.remoteRtp, placed.payloadType, placed.srtp);
      const bucket = this.buckets[n % BUCKETS];
      bucket?.push(call);
    } catch (err) {
      this.fail(failureKey(err));
      media.close();
    }
  }

  /** The shared timer: send for every slot whose time has come, then sleep until the next slot. */
  private tick(): void {
    const now = performance.now();
    for (;;) {
      const due = this.t0 + this.slot * SLOT_MS;
      if (due > now + 0.25) break;
      const bucket = this.buckets[this.slot % BUCKETS];
      if (bucket !== undefined) for (const call of bucket) call.media.sendNext();
      this.slot++;
    }
    const next = this.t0 + this.slot * SLOT_MS;
    this.timer = setTimeout(() => this.tick(), Math.max(0, next - performance.now()));
  }
}

/** The configured number whose route serves calls of `kind`. */
function numberFor(target: LoadTarget, kind: CallKind): string {
  switch (kind) {
    case 'echo':
      return target.echoNumber;
    case 'turn':
      return target.turnNumber;
    case 'bargeIn':
      return target.bargeInNumber;
  }
}
