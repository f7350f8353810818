/**
 * What the LiveKit agent learns about the call: the caller participant's attributes (the names LiveKit's own SIP
 * participants use, so telephony agents written for LiveKit SIP read them unchanged) and a JSON metadata string with
 * the whole call description, also sent as the dispatch metadata when an agent is dispatched explicitly.
 */
import type { StartMessage } from '@patchbay/agents';

export interface ParticipantInfo {
  /** Participant attributes: `sip.*` as LiveKit SIP sets them, plus `patchbay.*`. */
  attributes: Record<string, string>;
  /** `{"callId","streamId","from","to","direction","parameters"}` as JSON. */
  metadata: string;
}

/** Prefix of the attributes that carry the call's `start.parameters` (`patchbay.param.<name>`). */
export const PARAMETER_ATTRIBUTE_PREFIX = 'patchbay.param.';

export function participantInfo(start: StartMessage): ParticipantInfo {
  // LiveKit SIP: `sip.phoneNumber` is the far end's number, `sip.trunkPhoneNumber` ours, whichever side dialled.
  const inbound = start.direction === 'inbound';
  const attributes: Record<string, string> = {
    'sip.callID': start.callId,
    'sip.callStatus': 'active',
    'sip.phoneNumber': inbound ? start.from : start.to,
    'sip.trunkPhoneNumber': inbound ? start.to : start.from,
    'patchbay.callId': start.callId,
    'patchbay.direction': start.direction,
  };
  for (const [name, value] of Object.entries(start.parameters)) attributes[PARAMETER_ATTRIBUTE_PREFIX + name] = value;
  const metadata = JSON.stringify({
    callId: start.callId,
    streamId: start.streamId,
    from: start.from,
    to: start.to,
    direction: start.direction,
    parameters: start.parameters,
  });
  return { attributes, metadata };
}
