/**
 * Twilio-shaped ids for a Patchbay call: a two-letter prefix and 32 lower-case hex digits, as Twilio's SIDs are
 * (`MZ…` a stream, `CA…` a call, `AC…` an account), so bots that check the shape accept them. Derived from the
 * call's own ids by SHA-256, so the same call always gets the same SIDs and logs on both sides can be matched.
 */
import { createHash } from 'node:crypto';

export interface TwilioSids {
  accountSid: string;
  streamSid: string;
  callSid: string;
}

/** There is no Twilio account: one constant, well-formed `AC…` for every call. */
const ACCOUNT_SEED = 'patchbay';

export function twilioSids(ids: { callId: string; streamId: string }): TwilioSids {
  return { accountSid: sid('AC', ACCOUNT_SEED), streamSid: sid('MZ', ids.streamId), callSid: sid('CA', ids.callId) };
}

function sid(prefix: 'AC' | 'MZ' | 'CA', seed: string): string {
  return prefix + createHash('sha256').update(seed, 'utf8').digest('hex').slice(0, 32);
}
