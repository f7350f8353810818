/**
 * Many live calls at once for the store's resilience tests (test/e2e/records-db-*.test.ts): each call is the repo's
 * scripted SIP caller (`SipCaller`: INVITE, 200, ACK, paced PCMU RTP) to a number routed to the `echo` agent, with
 * its own `from` so that its record can be told apart. `placeCalls` starts them `staggerMs` apart (not one after the
 * other: a slow answer shows as a slow answer, not as a later start), measures INVITE→200, and starts each call's
 * audio (a tone) at once. `audioFlow` says whether the echo came back throughout a window: packets, the longest gap
 * between arrivals, and the share of packets carrying the tone back.
 */
import { SipCaller } from './sip-caller.js';

export interface LiveCall {
  readonly index: number;
  readonly from: string;
  readonly caller: SipCaller;
  /** INVITE sent → 200 received (ms). */
  readonly setupMs: number;
  /** Resolves once the whole tone has been sent. */
  readonly sending: Promise<void>;
}

export interface PlaceCallsOptions {
  readonly host: string;
  readonly port: number;
  readonly to: string;
  /** Calls to place, numbered from `first`. */
  readonly count: number;
  readonly first?: number;
  readonly staggerMs: number;
  /** What each caller sends (8 kHz PCM), from the answer on. */
  readonly audio: Int16Array;
}

export function callerName(index: number): string {
  return `caller${String(index).padStart(3, '0')}`;
}

export async function placeCalls(o: PlaceCallsOptions): Promise<LiveCall[]> {
  const first = o.first ?? 0;
  const placing: Promise<LiveCall>[] = [];
  for (let k = 0; k < o.count; k++) {
    const index = first + k;
    const from = callerName(index);
    placing.push(
      SipCaller.call({ host: o.host, port: o.port, to: o.to, from, answerTimeoutMs: 5_000 }).then((caller) => ({
        index,
        from,
        caller,
        setupMs: caller.answeredMs - caller.invitedAtMs,
        sending: caller.sendAudio(o.audio),
      })),
    );
    await new Promise((resolve) => setTimeout(resolve, o.staggerMs));
  }
  const settled = await Promise.allSettled(placing);
  const calls = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []));
  if (failed.length > 0) {
    for (const c of calls) c.caller.close();
    throw new Error(`${failed.length} of ${o.count} calls failed to set up: ${failed.slice(0, 3).join('; ')}`);
  }
  return calls;
}

export interface AudioFlow {
  readonly packets: number;
  /** Longest time between two received packets inside the window (ms). */
  readonly maxGapMs: number;
  /** Share of the window's packets whose level says the tone came back (0..1). */
  readonly echoed: number;
}

/** What `caller` received between `fromMs` and `toMs` (`performance.now()` times). */
export function audioFlow(caller: SipCaller, fromMs: number, toMs: number): AudioFlow {
  const inWindow = caller.received.filter((p) => p.arrivalMs >= fromMs && p.arrivalMs <= toMs);
  let maxGapMs = 0;
  let last = fromMs;
  let loud = 0;
  for (const p of inWindow) {
    maxGapMs = Math.max(maxGapMs, p.arrivalMs - last);
    last = p.arrivalMs;
    if (rms(p.pcm) > 1_000) loud++;
  }
  maxGapMs = Math.max(maxGapMs, toMs - last);
  return { packets: inWindow.length, maxGapMs, echoed: inWindow.length === 0 ? 0 : loud / inWindow.length };
}

function rms(pcm: Int16Array): number {
  let sum = 0;
  for (const s of pcm) sum += s * s;
  return pcm.length === 0 ? 0 : Math.sqrt(sum / pcm.length);
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

/** One sample's value from Prometheus text (the first series of `name`); NaN when absent. */
export function metricValue(text: string, name: string): number {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m?.[1] === name) return Number(m[2]);
  }
  return Number.NaN;
}
