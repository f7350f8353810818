/**
 * `hold`: what a caller hears while their agent consults a person (warm transfer): a soft three-note chime
 * (C5 E5 G5, each 300 ms with a gentle decay, at about -26 dBFS) every 4 s, until the gateway takes it off. Never
 * dead air, and never mistaken for ringing or for speech.
 */
import type { Agent, AgentContext, AgentSession } from '../agent.js';
import { loopAudio } from './loop.js';

const RATE = 24_000;
const CYCLE_MS = 4_000;
const NOTE_MS = 300;
const NOTES_HZ = [523.25, 659.25, 783.99];
const AMPLITUDE = 1_600;

let cycle: Int16Array | undefined;

/** One 4 s cycle of the hold chime, made once. */
export function holdCycle(): Int16Array {
  if (cycle !== undefined) return cycle;
  const out = new Int16Array((CYCLE_MS * RATE) / 1000);
  const noteSamples = (NOTE_MS * RATE) / 1000;
  NOTES_HZ.forEach((hz, n) => {
    for (let i = 0; i < noteSamples; i++) {
      const t = i / RATE;
      const envelope = Math.min(1, i / 240) * Math.exp(-t * 6);
      out[n * noteSamples + i] = Math.round(AMPLITUDE * envelope * Math.sin(2 * Math.PI * hz * t));
    }
  });
  cycle = out;
  return out;
}

export const holdAgent: Agent = {
  name: 'hold',
  create(ctx: AgentContext): AgentSession {
    const stop = loopAudio(ctx, holdCycle, CYCLE_MS);
    return { onAudio() {}, onMessage() {}, close: stop };
  },
};
