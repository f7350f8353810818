/** A call's speech settings (its plan's, merged over `media.speech`) as the media's speech detector and confirmer take them. */
import type { CallPlan, SpeechSettings } from '../call/plan.js';
import type { BargeInSettings } from '../media/call-media.js';
import type { SileroModel, SpeechDetectorOptions } from '../media/vad/index.js';

/** The cheap detector's options from the merged speech settings (keys left unset are the detector's defaults). */
export function detectorOptions(s: SpeechSettings): Omit<SpeechDetectorOptions, 'sampleRate'> {
  const { confirm: _confirm, confirmThreshold: _threshold, ...rest } = s;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Omit<SpeechDetectorOptions, 'sampleRate'>;
}

export function pickConfirm(s: SpeechSettings): { threshold: number } | undefined {
  return s.confirm === 'silero' ? { threshold: s.confirmThreshold ?? 0.5 } : undefined;
}


/** Barge-in as a call's plan says; a bridged leg's is off (two people talk over each other). */
export function bargeInSettings(plan: Pick<CallPlan, 'bargeIn' | 'speech'>, bridged: boolean, silero: SileroModel | undefined, guardMs: number): BargeInSettings {
  return { mode: bridged ? 'off' : plan.bargeIn, speech: detectorOptions(plan.speech), confirm: pickConfirm(plan.speech), silero, guardMs };
}
