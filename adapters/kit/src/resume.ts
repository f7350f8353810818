/**
 * Picking up a call already under way (the gateway sends `start.resume`: its agent failed and was re-dialled, or the
 * person the caller was forwarded to hung up): what every adapter tells its model, so the caller hears one
 * consistent recovery whatever the provider.
 */
import type { ResumeCause } from '@patchbay/agents';

/** The note after the conversation so far, when the previous agent failed: the model answers at once, without greeting again. */
export const RESUME_NOTE =
  'The connection to the previous assistant on this call failed mid-conversation; the caller just heard "One moment, please." You are taking over: apologise briefly for the interruption and continue from where the conversation stopped. Do not greet the caller again.';

/** The note when the caller comes back from a person who hung up (`person-hangup`). */
export const RETURN_NOTE =
  'The caller was transferred to a person earlier in this call; that person has hung up and the caller is back with you. Tell them briefly that you are back, and ask whether there is anything else you can help with. Do not greet the caller as if the call had just started.';

/** What the model is told when it picks up a call for `cause`. */
export function resumeNote(cause: ResumeCause): string {
  return cause === 'person-hangup' ? RETURN_NOTE : RESUME_NOTE;
}
