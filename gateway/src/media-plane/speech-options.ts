/** A call's speech settings (its plan's, merged over `media.speech`) as the media's speech detector and confirmer take them. */
import type { SpeechSettings } from '../call/plan.js';
import type { SpeechDetectorOptions } from '../media/vad/index.js';

/** The cheap detector's options from the merged speech settings (keys left unset are the detector's defaults). */
export function detectorOptions(s: SpeechSettings): Omit<SpeechDetectorOptions, 'sampleRate'> {
  const { confirm: _confirm, confirmThreshold: _threshold, ...rest } = s;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Omit<SpeechDetectorOptions, 'sampleRate'>;
}

export function pickConfirm(s: SpeechSettings): { threshold: number } | undefined {
  return s.confirm === 'silero' ? { threshold: s.confirmThreshold ?? 0.5 } : undefined;
}

