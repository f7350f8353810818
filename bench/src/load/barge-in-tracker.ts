/**
 * Timing barge-in at the caller (pure, synchronous; fed one received packet at a time).
 *
 * The caller's cycle `k` starts speaking at packet `k × cyclePackets + onsetPacket`; the agent talks without a
 * silent packet until the gateway stops it, and the gateway's silence is digital silence. So, per cycle: if the
 * last packet received before the onset was sent was agent audio (the agent was talking), the barge-in time is the
 * arrival of the LAST agent packet before `gapPackets` silent packets in a row, minus the onset packet's send time.
 * Cycles where the agent was not talking at the onset, or kept talking until the next onset, are counted, not timed.
 */

export interface BargeInTrackerOptions {
  /** Packets in one caller cycle (low noise, then the utterance). */
  readonly cyclePackets: number;
  /** The utterance's first packet within the cycle. */
  readonly onsetPacket: number;
  /** A received packet whose peak is below this is silence (the agent has been stopped). */
  readonly silentPeak: number;
  /** Silent packets in a row that make a gap (one alone could be a lost or padded packet). */
  readonly gapPackets: number;
}

/** What became of each caller onset; shared by every barge-in call of a run. */
export interface BargeInCounts {
  /** Onsets with a barge-in time. */
  timed: number;
  /** Onsets when the agent was not talking: nothing to interrupt. */
  agentSilent: number;
  /** Onsets after which the agent kept talking until the next onset: barge-in missed. */
  notStopped: number;
}

export function emptyBargeInCounts(): BargeInCounts {
  return { timed: 0, agentSilent: 0, notStopped: 0 };
}

export class BargeInTracker {
  private cycle = 0;
  /** Whether the current cycle's onset has been passed (a packet arrived after it was sent). */
  private armed = false;
  /** Whether the last packet received before the onset was sent was agent audio. */
  private talkingAtOnset = false;
  private previousTalking = false;
  private lastTalkMs: number | undefined;
  private silentRun = 0;

  constructor(
    private readonly options: BargeInTrackerOptions,
    private readonly sentMs: (index: number) => number | undefined,
    private readonly counts: BargeInCounts,
    private readonly onBargeIn: (ms: number) => void,
  ) {}

  /** One received packet: its peak (decoded) and arrival time. */
  push(peak: number, arrivalMs: number): void {
    const talking = peak >= this.options.silentPeak;
    this.step(talking, arrivalMs);
    this.previousTalking = talking;
  }

  private step(talking: boolean, arrivalMs: number): void {
    for (;;) {
      const onsetMs = this.onsetSentMs(this.cycle);
      if (onsetMs === undefined || arrivalMs < onsetMs) return;
      if (!this.armed) {
        this.armed = true;
        this.talkingAtOnset = this.previousTalking;
      }
      if (!this.talkingAtOnset) {
        this.counts.agentSilent++;
        this.nextCycle();
        continue; // this packet may come before the next onset
      }
      const nextOnsetMs = this.onsetSentMs(this.cycle + 1);
      if (nextOnsetMs !== undefined && arrivalMs >= nextOnsetMs) {
        this.counts.notStopped++;
        this.nextCycle();
        continue;
      }
      if (talking) {
        this.lastTalkMs = arrivalMs;
        this.silentRun = 0;
        return;
      }
      if (++this.silentRun < this.options.gapPackets) return;
      const last = this.lastTalkMs;
      // Silent from the first packet after the onset: the agent stopped on its own, before the gateway could react.
      if (last === undefined) this.counts.agentSilent++;
      else {
        this.counts.timed++;
        this.onBargeIn(last - onsetMs);
      }
      this.nextCycle();
      return;
    }
  }

  private onsetSentMs(cycle: number): number | undefined {
    return this.sentMs(cycle * this.options.cyclePackets + this.options.onsetPacket);
  }

  private nextCycle(): void {
    this.cycle++;
    this.armed = false;
    this.lastTalkMs = undefined;
    this.silentRun = 0;
  }
}
