import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import { getHeader, getHeaders } from '../sip/message.js';
import { parseMessage } from '../sip/parser.js';
import { serializeMessage } from '../sip/serialize.js';
import { buildCancel } from '../sip/transaction/client-messages.js';
import { trunkDestinations } from '../trunks/outbound.js';
import { buildOutboundInvite, isCallerIdUser, requestUri, type OutboundInviteInput } from './outbound-request.js';
import { dispositionOf, endReasonForFinalStatus } from './vocabulary.js';

function trunk(outbound: Record<string, unknown>) {
  const config = parseConfig({ trunks: [{ name: 't', outbound: { proxy: { host: 'sip.carrier.example' }, allow: ['+44', '+1'], ...outbound } }] }, {});
  const o = config.trunks[0]?.outbound;
  if (!o) throw new Error('no outbound');
  return o;
}

function input(outbound: Record<string, unknown>, to = '+442079460000', extra: Partial<OutboundInviteInput> = {}): OutboundInviteInput {
  const t = trunk(outbound);
  const checked = trunkDestinations(t, null).check(to);
  if (!checked.ok) throw new Error(checked.reason);
  return {
    trunk: t,
    defaultCountryCode: null,
    destination: checked,
    fromUser: '+15550100001',
    callId: 'abc@patchbay',
    fromTag: 'ourtag',
    cseq: 1,
    branch: 'z9hG4bKbranch1',
    via: { transport: 'udp', host: '192.0.2.10', port: 5060 },
    contact: '<sip:patchbay@192.0.2.10:5060>',
    sdp: 'v=0\r\n',
    ...extra,
  };
}

describe('outbound INVITE: Request-URI and To per numberFormat', () => {
  it.each([
    [{ numberFormat: 'e164' }, 'sip:+442079460000@sip.carrier.example'],
    [{ numberFormat: 'e164-no-plus' }, 'sip:442079460000@sip.carrier.example'],
    [{ numberFormat: 'national', countryCode: 44 }, 'sip:02079460000@sip.carrier.example'],
    [{ numberFormat: 'national', countryCode: 44, nationalPrefix: '' }, 'sip:2079460000@sip.carrier.example'],
    [{ numberFormat: 'national', countryCode: 1 }, 'sip:+442079460000@sip.carrier.example'], // another country stays E.164
    [{ proxy: { host: '198.51.100.7', port: 5080, transport: 'tcp' } }, 'sip:+442079460000@198.51.100.7:5080;transport=tcp'],
  ])('%j → %s', (outbound, uri) => {
    const invite = buildOutboundInvite(input(outbound));
    expect(invite.uri).toBe(uri);
    expect(getHeader(invite, 'to')).toBe(`<${uri.replace(/:5080;transport=tcp$/, '')}>`);
  });

  it('a US national number drops the country code without a trunk prefix', () => {
    expect(requestUri(input({ numberFormat: 'national', countryCode: 1 }, '+15557654321'))).toBe('sip:5557654321@sip.carrier.example');
  });
});

describe('outbound INVITE: caller ID, PAI, Privacy and the rest', () => {
  it('writes From with the display name and our tag, P-Asserted-Identity and Privacy as configured', () => {
    const invite = buildOutboundInvite(
      input({ callerId: { displayName: 'Clinic Reminders', pAssertedIdentity: '+15550100001', privacy: ['id', 'header'] } }, '+442079460000', {
        credentials: [{ name: 'Proxy-Authorization', value: 'Digest username="u"' }],
        cseq: 2,
      }),
    );
    expect(getHeader(invite, 'from')).toBe('"Clinic Reminders" <sip:+15550100001@sip.carrier.example>;tag=ourtag');
    expect(getHeader(invite, 'p-asserted-identity')).toBe('<sip:+15550100001@sip.carrier.example;user=phone>');
    expect(getHeader(invite, 'privacy')).toBe('id;header');
    expect(getHeader(invite, 'cseq')).toBe('2 INVITE');
    expect(getHeader(invite, 'call-id')).toBe('abc@patchbay');
    expect(getHeader(invite, 'proxy-authorization')).toBe('Digest username="u"');
    expect(getHeader(invite, 'via')).toBe('SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKbranch1;rport');
    expect(getHeader(invite, 'content-type')).toBe('application/sdp');
    // the bytes parse back as the same request
    const reparsed = parseMessage(serializeMessage(invite));
    expect(reparsed.kind === 'request' && reparsed.uri).toBe(invite.uri);
  });

  it('writes a PAI URI as given, and no PAI or Privacy when the trunk sets none', () => {
    const withUri = buildOutboundInvite(input({ callerId: { pAssertedIdentity: 'sip:reception@clinic.example' } }));
    expect(getHeader(withUri, 'p-asserted-identity')).toBe('<sip:reception@clinic.example>');
    const plain = buildOutboundInvite(input({}));
    expect(getHeader(plain, 'p-asserted-identity')).toBeUndefined();
    expect(getHeader(plain, 'privacy')).toBeUndefined();
    expect(getHeader(plain, 'from')).toBe('<sip:+15550100001@sip.carrier.example>;tag=ourtag');
  });

  it('accepts only caller IDs it can write unescaped', () => {
    expect(isCallerIdUser('+15550100001')).toBe(true);
    expect(isCallerIdUser('reception.desk')).toBe(true);
    expect(isCallerIdUser('a b')).toBe(false);
    expect(isCallerIdUser('x@evil')).toBe(false);
    expect(isCallerIdUser('')).toBe(false);
  });

  it('CANCEL copies the INVITE: same R-URI, top Via branch, From, To, Call-ID, CSeq number', () => {
    const invite = buildOutboundInvite(input({}, '+442079460000', { cseq: 2 }));
    const cancel = buildCancel(invite);
    expect(cancel.method).toBe('CANCEL');
    expect(cancel.uri).toBe(invite.uri);
    for (const h of ['via', 'from', 'to', 'call-id']) expect(getHeader(cancel, h)).toBe(getHeader(invite, h));
    expect(getHeader(cancel, 'cseq')).toBe('2 CANCEL');
    expect(getHeaders(cancel, 'via')).toHaveLength(1);
  });
});

describe('an outbound INVITE final status → end reason → disposition', () => {
  it.each([
    [486, 'busy', 'busy'],
    [600, 'busy', 'busy'],
    [603, 'declined', 'declined'],
    [487, 'no-answer', 'no-answer'],
    [480, 'no-answer', 'no-answer'],
    [408, 'no-answer', 'no-answer'],
    [404, 'failed', 'failed'],
    [503, 'failed', 'failed'],
    [302, 'failed', 'failed'],
    [407, 'failed', 'failed'],
  ] as const)('%i → %s (%s)', (status, reason, disposition) => {
    expect(endReasonForFinalStatus(status)).toBe(reason);
    expect(dispositionOf(endReasonForFinalStatus(status), false)).toBe(disposition);
  });
});
