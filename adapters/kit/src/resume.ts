/**
 * Taking over a call whose agent failed (the gateway's agent failover sends `start.resume`): what every adapter tells
 * its model, so the caller hears one consistent recovery whatever the provider.
 */

/** The note after the conversation so far: the model answers at once, without greeting again. */
export const RESUME_NOTE =
  'The connection to the previous assistant on this call failed mid-conversation; the caller just heard "One moment, please." You are taking over: apologise briefly for the interruption and continue from where the conversation stopped. Do not greet the caller again.';
