/**
 * Decides, frame by frame, which of the LiveKit agent's audio goes to the caller, and when to send `clear`.
 *
 * A subscribed LiveKit track delivers audio continuously: silence between the agent's turns too. Passed on as is,
 * that silence would keep the gateway's playout busy all call long, so every caller utterance would count as a
 * barge-in. The gate passes the agent's talk spurts (from the first non-silent frame until `hangoverSamples` of
 * silence, pauses inside speech included, so timing is untouched: the audio arrives in real time) and drops the
 * silence between them.
 *
 * Barge-in (`bargeIn: gateway`): the gateway cuts the agent at once and sends `interrupted`, and the LiveKit agent,
 * which hears the caller too, stops its own speech a moment later. Until it has, its audio is the interrupted turn:
 * the gate holds it back until that talk spurt ends (the agent yielded) or `holdMaxSamples` have passed (it did not:
 * interruptions off, or it judged the noise no interruption), then sends `clear` (which also ends the gateway's own
 * dropping) and passes audio again. Pure and synchronous: time is counted in samples received.
 */

export interface AgentAudioGateOptions {
  /** A frame whose every sample lies within ±silencePeak is silence. */
  silencePeak: number;
  /** Silence that ends a talk spurt, in samples. */
  hangoverSamples: number;
  /** Longest hold after `interrupted`, in samples; 0 sends `clear` at once and holds nothing back. */
  holdMaxSamples: number;
}

export interface GateDecision {
  /** Send this frame to the caller. */
  forward: boolean;
  /** Send `clear` first. */
  clear: boolean;
}

export interface AgentAudioGateStats {
  forwardedSamples: number;
  /** Silence between talk spurts, not sent. */
  silenceSamples: number;
  /** Audio of interrupted turns, not sent. */
  heldSamples: number;
  interruptions: number;
}

const PASS: GateDecision = Object.freeze({ forward: true, clear: false });
const SKIP: GateDecision = Object.freeze({ forward: false, clear: false });

/** True when no sample of `frame` is louder than `peak`. */
export function isSilent(frame: Int16Array, peak: number): boolean {
  for (let i = 0; i < frame.length; i++) {
    const s = frame[i] ?? 0;
    if (s > peak || s < -peak) return false;
  }
  return true;
}

export class AgentAudioGate {
  private talking = false;
  private silentRun = 0;
  private holding = false;
  private held = 0;
  readonly stats: AgentAudioGateStats = { forwardedSamples: 0, silenceSamples: 0, heldSamples: 0, interruptions: 0 };

  constructor(private readonly options: AgentAudioGateOptions) {}

  /** True while a talk spurt is passing (or held back). */
  get inSpurt(): boolean {
    return this.talking;
  }

  /** True while an interrupted turn is being held back. */
  get isHolding(): boolean {
    return this.holding;
  }

  push(frame: Int16Array): GateDecision {
    const wasTalking = this.talking;
    if (!isSilent(frame, this.options.silencePeak)) {
      this.talking = true;
      this.silentRun = 0;
    } else if (this.talking) {
      this.silentRun += frame.length;
      if (this.silentRun >= this.options.hangoverSamples) this.talking = false;
    }
    if (this.holding) {
      this.held += frame.length;
      if (this.talking && this.held < this.options.holdMaxSamples) {
        this.stats.heldSamples += frame.length;
        return SKIP;
      }
      this.holding = false;
      if (!this.talking) {
        this.stats.heldSamples += frame.length;
        return { forward: false, clear: true };
      }
      this.stats.forwardedSamples += frame.length;
      return { forward: true, clear: true };
    }
    if (this.talking || wasTalking) {
      this.stats.forwardedSamples += frame.length;
      return PASS;
    }
    this.stats.silenceSamples += frame.length;
    return SKIP;
  }

  /** The gateway cut the agent (`interrupted`). Returns true when `clear` is due now (nothing to hold back). */
  interrupted(): boolean {
    this.stats.interruptions++;
    if (!this.talking || this.options.holdMaxSamples === 0) {
      this.holding = false;
      return true;
    }
    this.holding = true;
    this.held = 0;
    return false;
  }

  /** The agent's audio stream ended. Returns true when a hold was pending, so `clear` is still owed. */
  reset(): boolean {
    const owed = this.holding;
    this.talking = false;
    this.silentRun = 0;
    this.holding = false;
    this.held = 0;
    return owed;
  }
}
