/**
 * The bench's "talker" agent, for barge-in calls: on `start` it sends a 6 s monologue (recorded prompts over a quiet
 * bed tone, never silent) and a mark; on `interrupted` it sends `clear` and stops; once the caller's speech has
 * stopped (`speech_stopped`) and it is not talking, it starts the monologue again, so one call gives a barge-in per
 * caller utterance.
 */
import { loadDemoPrompts, type Agent, type AgentContext, type AgentSession } from '@patchbay/agents';
import { talkerSpeech } from '../load/signals.js';

export const MONOLOGUE_MS = 6_000;

const prompts = loadDemoPrompts();
const MONOLOGUE = talkerSpeech([prompts.menu, prompts['echo-intro'], prompts.welcome], MONOLOGUE_MS);

export const talkerAgent: Agent = {
  name: 'bench-talker',
  create(ctx: AgentContext): AgentSession {
    let talking = false;
    let turn = 0;
    const talk = (): void => {
      if (ctx.signal.aborted) return;
      talking = true;
      turn++;
      // sendAudio keeps the array it is given: hand over a copy so the shared monologue stays intact.
      ctx.sendAudio(MONOLOGUE.slice());
      ctx.send({ type: 'mark', name: `monologue-${turn}` });
    };
    talk();
    return {
      onAudio() {},
      onMessage(msg) {
        switch (msg.type) {
          case 'interrupted':
            talking = false;
            if (!ctx.signal.aborted) ctx.send({ type: 'clear', turnId: `monologue-${turn}` });
            break;
          case 'mark':
            if (msg.name === `monologue-${turn}`) talking = false;
            break;
          case 'speech_stopped':
            if (!talking) talk();
            break;
          default:
            break;
        }
      },
      close() {},
    };
  },
};
