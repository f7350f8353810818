import { describe, expect, it } from 'vitest';
import {
  DESTINATION_REFUSAL_CODES,
  DestinationPolicy,
  DestinationPolicyError,
  parseDestinationEntry,
  redactDestination,
  type DestinationCheck,
  type DestinationRefusalCode,
} from './destination-policy.js';

/** The targets a hostile or prompt-injected agent tried (issue 11), with why each is refused once lists allow +1555 and pbx.example.com. */
const HOSTILE: readonly (readonly [target: string, code: DestinationRefusalCode])[] = [
  ['+19005551234', 'DESTINATION_NOT_ALLOWED'], // premium rate
  ['011441234567890', 'DESTINATION_NOT_E164'], // NANP international prefix
  ['*725551234', 'DESTINATION_NOT_DIALABLE'], // call-forwarding feature code
  ['*72+15551234567', 'DESTINATION_NOT_DIALABLE'],
  ['1234#', 'DESTINATION_NOT_DIALABLE'],
  ['sip:+15551234567@evil.example.com', 'DESTINATION_NOT_ALLOWED'],
  ['sip:desk@evil.example.com', 'DESTINATION_NOT_ALLOWED'],
  ['sip:desk@pbx.example.com;maddr=evil.example.com', 'DESTINATION_URI_PARAMETER'],
  ['sip:desk@pbx.example.com?P-Asserted-Identity=%3Csip:%2B15550000000@pbx.example.com%3E&Replaces=abc%3Bto-tag%3D1', 'DESTINATION_URI_HEADERS'],
  ['sip:desk@pbx.example.com?Replaces=x', 'DESTINATION_URI_HEADERS'],
  ['sip:+19005551234@pbx.example.com', 'DESTINATION_NOT_ALLOWED'], // an allowed PBX asked to dial premium rate
  ['sip:*72@pbx.example.com', 'DESTINATION_NOT_DIALABLE'],
  ['sip:%2A72@pbx.example.com', 'DESTINATION_NOT_DIALABLE'], // the same, escaped
  ['sip:+1555abc@pbx.example.com', 'DESTINATION_NOT_DIALABLE'],
  ['sip:desk@pbx.example.com.evil.example.com', 'DESTINATION_NOT_ALLOWED'],
  ['sip:desk@pbx.example.com;method=BYE', 'DESTINATION_URI_PARAMETER'],
  ['sip:desk@pbx.example.com;lr', 'DESTINATION_URI_PARAMETER'],
  ['sip:desk:secret@pbx.example.com', 'DESTINATION_MALFORMED'],
  ['sip:de%20sk@pbx.example.com', 'DESTINATION_NOT_DIALABLE'],
  ['tel:+1-900-555-1234', 'DESTINATION_NOT_ALLOWED'],
  ['tel:5551234;phone-context=+1555', 'DESTINATION_URI_PARAMETER'],
  ['http://evil.example.com/', 'DESTINATION_SCHEME'],
  ['mailto:a@pbx.example.com', 'DESTINATION_SCHEME'],
  ['urn:service:sos', 'DESTINATION_SCHEME'],
  ['desk', 'DESTINATION_NOT_DIALABLE'],
  ['+1555CALLNOW', 'DESTINATION_NOT_DIALABLE'],
  ['', 'DESTINATION_MALFORMED'],
  [`sip:${'a'.repeat(600)}@pbx.example.com`, 'DESTINATION_MALFORMED'],
  ['sip:a@b>\r\nX-Evil: 1', 'DESTINATION_MALFORMED'],
];

function refusal(check: DestinationCheck): DestinationRefusalCode | 'accepted' {
  return check.ok ? 'accepted' : check.code;
}

describe('DestinationPolicy', () => {
  it('refuses every target by default (nothing configured)', () => {
    const policy = DestinationPolicy.DENY_ALL;
    expect(policy.deniesAll).toBe(true);
    for (const [target] of HOSTILE) expect(policy.check(target).ok, target).toBe(false);
    for (const target of ['+15557654321', 'sip:desk@pbx.example.com', 'tel:+15557654321']) {
      expect(policy.check(target), target).toEqual({ ok: false, code: 'DESTINATION_NOT_ALLOWED', reason: 'no destination is allowed (none configured)' });
    }
  });

  it('refuses every hostile target with its code once prefixes and domains are allowed', () => {
    const policy = new DestinationPolicy({ allow: ['+1555', 'pbx.example.com'], defaultCountryCode: '1' });
    for (const [target, code] of HOSTILE) expect(refusal(policy.check(target)), target).toBe(code);
  });

  it('accepts allowed prefixes in E.164, national and tel: forms, giving the E.164 number', () => {
    const policy = new DestinationPolicy({ allow: ['+1555', '+44*'], defaultCountryCode: '1' });
    const number = (n: string) => ({ ok: true, kind: 'number', number: n, uri: `tel:${n}` });
    expect(policy.check('+15557654321')).toEqual(number('+15557654321'));
    expect(policy.check('5557654321')).toEqual(number('+15557654321'));
    expect(policy.check('15557654321')).toEqual(number('+15557654321'));
    expect(policy.check('+1 (555) 765-4321')).toEqual(number('+15557654321'));
    expect(policy.check('tel:+1-555-765-4321')).toEqual(number('+15557654321'));
    expect(policy.check('00442079460000')).toEqual(number('+442079460000'));
    expect(refusal(policy.check('+15567654321'))).toBe('DESTINATION_NOT_ALLOWED');
    expect(refusal(policy.check('+4'))).toBe('DESTINATION_NOT_E164');
  });

  it('reads national numbers only with a default country code, and only in that country', () => {
    const none = new DestinationPolicy({ allow: ['+1555', '+44'] });
    expect(refusal(none.check('5557654321'))).toBe('DESTINATION_NOT_E164');
    // The inbound normalisation would read this as +15557654321; a carrier would dial it as national.
    expect(refusal(none.check('15557654321'))).toBe('DESTINATION_NOT_E164');
    const uk = new DestinationPolicy({ allow: ['+1555', '+44'], defaultCountryCode: '+44' });
    expect(uk.check('020 7946 0000')).toMatchObject({ ok: true, number: '+442079460000' });
    expect(refusal(uk.check('15557654321'))).toBe('DESTINATION_NOT_E164');
    expect(refusal(uk.check('011441234567890'))).toBe('DESTINATION_NOT_E164');
  });

  it('accepts SIP URIs on allowed domains, rebuilt from their checked parts', () => {
    const policy = new DestinationPolicy({ allow: ['pbx.example.com', '*.carrier.example', '+1555', '203.0.113.7', '[2001:db8::1]'], defaultCountryCode: '1' });
    expect(policy.check('sip:desk@PBX.Example.com.')).toEqual({ ok: true, kind: 'sip', uri: 'sip:desk@pbx.example.com', host: 'pbx.example.com', number: undefined });
    expect(policy.check('sips:desk@pbx.example.com:5061;transport=TLS')).toMatchObject({ ok: true, uri: 'sips:desk@pbx.example.com:5061;transport=tls' });
    expect(policy.check('sip:+1-555-765-4321@edge.carrier.example;user=phone')).toEqual({
      ok: true,
      kind: 'sip',
      uri: 'sip:+15557654321@edge.carrier.example;user=phone',
      host: 'edge.carrier.example',
      number: '+15557654321',
    });
    expect(policy.check('sip:5557654321@pbx.example.com')).toMatchObject({ ok: true, uri: 'sip:5557654321@pbx.example.com', number: '+15557654321' });
    expect(policy.check('sip:%2B15557654321@pbx.example.com')).toMatchObject({ ok: true, uri: 'sip:+15557654321@pbx.example.com' });
    expect(policy.check('sip:pbx.example.com')).toMatchObject({ ok: true, uri: 'sip:pbx.example.com' });
    expect(policy.check('sip:desk@203.0.113.7:5080')).toMatchObject({ ok: true, uri: 'sip:desk@203.0.113.7:5080' });
    expect(policy.check('sip:desk@[2001:DB8::1]')).toMatchObject({ ok: true, uri: 'sip:desk@[2001:db8::1]' });
    // `*.x` covers hosts under x, not x itself.
    expect(refusal(policy.check('sip:desk@carrier.example'))).toBe('DESTINATION_NOT_ALLOWED');
    expect(refusal(policy.check('sip:desk@evilcarrier.example'))).toBe('DESTINATION_NOT_ALLOWED');
  });

  it('refuses maddr and URI headers even on an allowed domain with an allowed number', () => {
    const policy = new DestinationPolicy({ allow: ['pbx.example.com', '+1555'] });
    expect(refusal(policy.check('sip:+15557654321@pbx.example.com;maddr=198.51.100.9'))).toBe('DESTINATION_URI_PARAMETER');
    expect(refusal(policy.check('sip:+15557654321@pbx.example.com;MADDR=198.51.100.9;transport=udp'))).toBe('DESTINATION_URI_PARAMETER');
    expect(refusal(policy.check('sip:+15557654321@pbx.example.com?Replaces=x%3Bfrom-tag%3D1'))).toBe('DESTINATION_URI_HEADERS');
    expect(refusal(policy.check('sip:+15557654321@pbx.example.com?'))).toBe('DESTINATION_URI_HEADERS');
    expect(refusal(policy.check('sip:+15557654321@pbx.example.com;transport=carrier-pigeon'))).toBe('DESTINATION_URI_PARAMETER');
  });

  it('deny entries win over allow entries', () => {
    const policy = new DestinationPolicy({ allow: ['+1', '*.example.com'], deny: ['+1900', '+1976', 'evil.example.com'] });
    expect(policy.check('+15557654321').ok).toBe(true);
    expect(refusal(policy.check('+19005551234'))).toBe('DESTINATION_DENIED');
    expect(refusal(policy.check('sip:desk@evil.example.com'))).toBe('DESTINATION_DENIED');
    expect(refusal(policy.check('sip:+19005551234@pbx.example.com'))).toBe('DESTINATION_DENIED');
    expect(policy.check('sip:desk@pbx.example.com').ok).toBe(true);
  });

  it('never throws, whatever the target', () => {
    const policy = new DestinationPolicy({ allow: ['+1', 'pbx.example.com'] });
    const odd = ['sip:', 'sip:@', 'sip:a@', 'tel:', 'tel:+', 'sip:a@b:99999', 'sip:%zz@pbx.example.com', 'sip:a@[::1', ':', '+', '++1', '\u0000', 'sip:a@b;=x'];
    for (const target of odd) {
      const check = policy.check(target);
      expect(check.ok, target).toBe(false);
      if (!check.ok) expect(DESTINATION_REFUSAL_CODES, target).toContain(check.code);
    }
  });
});

describe('parseDestinationEntry', () => {
  it('reads prefixes (optional trailing *), domains, wildcard domains and IP addresses', () => {
    expect(parseDestinationEntry('+1555')).toEqual({ kind: 'prefix', prefix: '+1555', source: '+1555' });
    expect(parseDestinationEntry('+44*')).toEqual({ kind: 'prefix', prefix: '+44', source: '+44*' });
    expect(parseDestinationEntry('PBX.example.com')).toEqual({ kind: 'domain', host: 'pbx.example.com', source: 'PBX.example.com' });
    expect(parseDestinationEntry('*.example.com')).toEqual({ kind: 'subdomains', suffix: 'example.com', source: '*.example.com' });
    expect(parseDestinationEntry('203.0.113.7')).toMatchObject({ kind: 'domain', host: '203.0.113.7' });
    expect(parseDestinationEntry('[2001:db8::1]')).toMatchObject({ kind: 'domain', host: '2001:db8::1' });
  });

  it('refuses anything else, saying what an entry may be', () => {
    for (const entry of ['1555', '+', '+0', '+1 555', '+1234567890123456', '*', '*.', 'sip:pbx.example.com', 'pbx.example.com:5060', '300.1.1.1', 'a..b', '-a.com', '']) {
      expect(() => parseDestinationEntry(entry), entry).toThrow(DestinationPolicyError);
    }
    expect(() => parseDestinationEntry('1555')).toThrow("'1555' is neither an E.164 prefix (+1555) nor a SIP domain (pbx.example.com, *.example.com, an IP address)");
    expect(() => parseDestinationEntry('+1-555')).toThrow("'+1-555' is not an E.164 prefix: '+' then 1 to 15 digits, e.g. +1555 or +44");
  });
});

describe('redactDestination', () => {
  it('keeps a number prefix or a URI host, hides the rest', () => {
    expect(redactDestination('+19005551234')).toBe('+1900…');
    expect(redactDestination('*72')).toBe('*72');
    expect(redactDestination('sip:+15551234567@evil.example.com;maddr=x')).toBe('sip:…@evil.example.com');
    expect(redactDestination('tel:+1-900-555-1234')).toBe('tel:…');
    expect(redactDestination('sip:pbx.example.com')).toBe('sip:…pbx.example.com');
  });
});
