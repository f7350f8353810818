import { describe, expect, it } from 'vitest';
import { participantInfo } from './participant-info.js';
import { START } from './test-support/fake-context.js';

describe('participantInfo', () => {
  it("gives an inbound caller LiveKit SIP's attributes, the parameters, and the call as metadata", () => {
    const info = participantInfo(START);
    expect(info.attributes).toEqual({
      'sip.callID': 'call-42',
      'sip.callStatus': 'active',
      'sip.phoneNumber': '+15550111',
      'sip.trunkPhoneNumber': '+15550100',
      'patchbay.callId': 'call-42',
      'patchbay.direction': 'inbound',
      'patchbay.param.campaign': 'spring',
    });
    expect(JSON.parse(info.metadata)).toEqual({
      callId: 'call-42',
      streamId: 'stream-7',
      from: '+15550111',
      to: '+15550100',
      direction: 'inbound',
      parameters: { campaign: 'spring' },
    });
  });

  it('names the far end sip.phoneNumber on an outbound call too', () => {
    const info = participantInfo({ ...START, direction: 'outbound', from: '+15550100', to: '+15550999' });
    expect(info.attributes['sip.phoneNumber']).toBe('+15550999');
    expect(info.attributes['sip.trunkPhoneNumber']).toBe('+15550100');
  });
});
