/**
 * What the adapter itself adds to the model's conversation (never the caller's audio): the call so far when it takes
 * over a call under way, the keys the caller pressed, a transfer that failed, and the instructions for introducing
 * the caller to the person of a warm transfer. Pure: events to send, built from what the gateway told us.
 */
import { resumeNote } from '@patchbay/adapter-kit';
import type { StartMessage } from '@patchbay/agents';
import type { RealtimeClientEvent } from 'openai/resources/realtime/realtime';

type ItemCreate = Extract<RealtimeClientEvent, { type: 'conversation.item.create' }>;

function systemNote(text: string): ItemCreate {
  return { type: 'conversation.item.create', item: { type: 'message', role: 'system', content: [{ type: 'input_text', text }] } };
}

/**
 * A call whose previous agent failed, or that comes back from a person (`start.resume`): the conversation so far as
 * items (the caller's lines as user input, the agent's as its own replies), then a note of what happened.
 */
export function resumeItems(resume: NonNullable<StartMessage['resume']>): ItemCreate[] {
  const lines: ItemCreate[] = resume.transcript.map((line) => ({
    type: 'conversation.item.create',
    item: line.role === 'caller'
      ? { type: 'message', role: 'user', content: [{ type: 'input_text', text: line.text }] }
      : { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: line.text }] },
  }));
  return [...lines, systemNote(resumeNote(resume.cause))];
}

/** The caller pressed keypad keys (DTMF relayed as text, `dtmfToText`). */
export function keypadItem(digits: string): ItemCreate {
  return {
    type: 'conversation.item.create',
    item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: `[The caller pressed keypad keys: ${[...digits].join(' ')}]` }] },
  };
}

/** A transfer did not go through: the model tells the caller and offers another way. */
export function transferFailedItem(targetName: string): ItemCreate {
  return systemNote(`The transfer to ${targetName || 'the target'} failed. Tell the caller, and offer to help another way.`);
}

/** A warm transfer's person answered: the model introduces the caller to them (the caller cannot hear it). */
export function whisperInstructions(targetName: string, summary: string): string {
  return (
    `You are now speaking with ${targetName || 'a colleague'}, the person the caller is being handed to; the caller cannot hear you. ` +
    `Introduce the caller in one or two sentences, from this summary: ${summary} Then stop: the caller will be put through.`
  );
}
