/**
 * One call's turns, timed for its trace: from the end of the caller's speech (its last packet's arrival) to the
 * agent's first audio on RTP, with the uplink of that last caller packet (RTP arrival → reorder/jitter-buffer
 * release → decoded and resampled → sent to the agent), the downlink of the turn's first agent chunk (received →
 * taken from the playout queue → encoded → sent on RTP), and the agent's `stage` reports that came during the
 * turn. Each turn leaves as one plain-data record (epoch ms, valid across threads) for the main thread to turn
 * into spans; nothing here knows OpenTelemetry. Built only when tracing is on; O(1) per packet (a few stores in a
 * preallocated ring) and per turn.
 */
import type { AgentStage } from '@patchbay/agents';

/** The last caller packet of a turn on its way to the agent (epoch ms). */
export interface UplinkTimes {
  arrivalMs: number;
  releasedMs: number;
  decodedMs: number;
  sentMs: number;
}

/** The turn's first agent chunk on its way to the caller (epoch ms). */
export interface DownlinkTimes {
  receivedMs: number;
  takenMs: number;
  encodedMs: number;
  sentMs: number;
}

/** An agent `stage` report: `ms` long, ending when it arrived (`atMs`, epoch). */
export interface StageTiming {
  stage: AgentStage;
  ms: number;
  atMs: number;
}

export interface TurnRecord {
  kind: 'turn';
  /** 1, 2, … within the call. */
  index: number;
  /** End of the caller's speech: its last packet's arrival (epoch ms). */
  startMs: number;
  /** The agent's first audio of the turn sent on RTP (epoch ms). */
  endMs: number;
  /** Undefined when the last packet's passage was not seen (it left the ring of recent packets). */
  uplink: UplinkTimes | undefined;
  downlink: DownlinkTimes;
  stages: StageTiming[];
}

export interface BargeInRecord {
  kind: 'barge-in';
  /** The caller's onset packet's arrival (epoch ms). */
  atMs: number;
  /** Onset → the agent's audio stopped, ms. */
  reactionMs: number;
  /** The turn whose answer was interrupted (0 before the first). */
  turnIndex: number;
}

/** What a call's media tells its trace (through the media plane, as plain data). */
export type MediaTraceEvent = TurnRecord | BargeInRecord;

/** Recent caller packets remembered (2.5 s of 20 ms packets: longer than any speech detector's hangover). */
const RING = 128;
const FIELDS = 4;
/** Stage reports held while waiting for their turn to close. */
const MAX_STAGES = 16;

const epoch = (perfMs: number): number => performance.timeOrigin + perfMs;

export class TurnTrace {
  /** Per remembered packet: arrival, released, decoded, sent (performance.now() ms). */
  private readonly ring = new Float64Array(RING * FIELDS);
  private next = 0;
  private filled = 0;
  private turns = 0;
  private open: { startMs: number; uplink: UplinkTimes | undefined } | undefined;
  private readonly stages: Array<{ stage: AgentStage; ms: number; atMs: number }> = [];

  constructor(private readonly emit: (event: MediaTraceEvent) => void) {}

  /** Caller packets (their arrivals) handed to the agent: released, decoded and sent at these times. */
  uplink(arrivals: readonly number[], releasedMs: number, decodedMs: number, sentMs: number): void {
    for (const arrival of arrivals) {
      const at = this.next * FIELDS;
      this.ring[at] = arrival;
      this.ring[at + 1] = releasedMs;
      this.ring[at + 2] = decodedMs;
      this.ring[at + 3] = sentMs;
      this.next = (this.next + 1) % RING;
      if (this.filled < RING) this.filled++;
    }
  }

  /** The caller's speech ended with the packet that arrived at `lastArrivalMs`: a turn begins (a newer one replaces it). */
  speechEnded(lastArrivalMs: number): void {
    this.open = { startMs: lastArrivalMs, uplink: this.find(lastArrivalMs) };
  }

  /** Whether a turn waits for the agent's first audio. */
  get awaitingAnswer(): boolean {
    return this.open !== undefined;
  }

  /** The agent timed a stage of its own; it belongs to the turn open when the turn closes, if it came after its start. */
  stage(stage: AgentStage, ms: number, atMs: number): void {
    if (this.stages.length >= MAX_STAGES) this.stages.shift();
    this.stages.push({ stage, ms, atMs });
  }

  /** The agent's first audio of the turn went out: the turn closes and leaves as a record. */
  answered(d: DownlinkTimes): void {
    const open = this.open;
    if (!open) return;
    this.open = undefined;
    this.turns++;
    const stages: StageTiming[] = [];
    for (const s of this.stages) if (s.atMs >= open.startMs && s.atMs <= d.sentMs) stages.push({ stage: s.stage, ms: s.ms, atMs: epoch(s.atMs) });
    this.stages.length = 0;
    const u = open.uplink;
    this.emit({
      kind: 'turn',
      index: this.turns,
      startMs: epoch(open.startMs),
      endMs: epoch(d.sentMs),
      uplink: u && { arrivalMs: epoch(u.arrivalMs), releasedMs: epoch(u.releasedMs), decodedMs: epoch(u.decodedMs), sentMs: epoch(u.sentMs) },
      downlink: { receivedMs: epoch(d.receivedMs), takenMs: epoch(d.takenMs), encodedMs: epoch(d.encodedMs), sentMs: epoch(d.sentMs) },
      stages,
    });
  }

  /** The caller interrupted the agent: onset packet's arrival → agent audio stopped. */
  bargeIn(onsetArrivalMs: number, stoppedMs: number): void {
    this.emit({ kind: 'barge-in', atMs: epoch(onsetArrivalMs), reactionMs: stoppedMs - onsetArrivalMs, turnIndex: this.turns });
  }

  /** The remembered passage of the packet that arrived at `arrivalMs`, newest first. */
  private find(arrivalMs: number): UplinkTimes | undefined {
    for (let k = 1; k <= this.filled; k++) {
      const at = ((this.next - k + RING) % RING) * FIELDS;
      if (this.ring[at] !== arrivalMs) continue;
      return { arrivalMs, releasedMs: this.ring[at + 1] ?? arrivalMs, decodedMs: this.ring[at + 2] ?? arrivalMs, sentMs: this.ring[at + 3] ?? arrivalMs };
    }
    return undefined;
  }
}
