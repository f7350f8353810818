/**
 * `stand-in`: what a caller hears while the gateway recovers from their agent's failure mid-call (agent failover):
 * "One moment, please." (and its text as a `transcript` line), then a soft ringback (440 + 480 Hz, 2 s on, 4 s off)
 * until the gateway swaps in the re-dialled agent or a person, or the apology. Never dead air. `onPromptDone` runs
 * once the prompt has played out (its mark came back `played`) or was cut: the gateway swaps agents after it, so the
 * caller always hears the whole sentence.
 */
import type { Agent, AgentContext, AgentSession } from '../agent.js';
import { transcriptMessage } from '../protocol/transcript.js';
import { loopAudio } from './loop.js';
import { loadDemoPrompts, promptText } from './prompts.js';

const PROMPT_DONE = 'stand-in-prompt';
const RATE = 24_000;
/** One ringback cycle: 2 s of tone then 4 s of silence (the North American cadence), at about -24 dBFS. */
const CYCLE_MS = 6_000;
const TONE_MS = 2_000;
const AMPLITUDE = 1_050;

let cycle: Int16Array | undefined;

/** One cadence cycle of ringback, made once (it is the same for every call). */
export function ringbackCycle(): Int16Array {
  if (cycle !== undefined) return cycle;
  const out = new Int16Array((CYCLE_MS * RATE) / 1000);
  const toneSamples = (TONE_MS * RATE) / 1000;
  for (let i = 0; i < toneSamples; i++) {
    const t = i / RATE;
    out[i] = Math.round(AMPLITUDE * (Math.sin(2 * Math.PI * 440 * t) + Math.sin(2 * Math.PI * 480 * t)));
  }
  cycle = out;
  return out;
}

export function standInAgent(onPromptDone: () => void = () => {}): Agent {
  return {
    name: 'stand-in',
    create(ctx: AgentContext): AgentSession {
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        onPromptDone();
      };
      const line = transcriptMessage('agent', promptText([['one-moment']]), true);
      if (line !== undefined) ctx.send(line);
      ctx.sendAudio(loadDemoPrompts()['one-moment'].slice());
      ctx.send({ type: 'mark', name: PROMPT_DONE });
      const stop = loopAudio(ctx, ringbackCycle, CYCLE_MS);
      return {
        onAudio() {},
        onMessage(msg) {
          if (msg.type === 'mark' && msg.name === PROMPT_DONE) finish();
        },
        close() {
          stop();
          finish();
        },
      };
    },
  };
}
