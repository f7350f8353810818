import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import { formatDialledNumber, trunkDestinations } from './outbound.js';

describe('outbound trunk pieces', () => {
  it('writes the number as configured', () => {
    expect(formatDialledNumber('+15557654321', { format: 'e164' })).toBe('+15557654321');
    expect(formatDialledNumber('+15557654321', { format: 'e164-no-plus' })).toBe('15557654321');
    expect(formatDialledNumber('+15557654321', { format: 'national', countryCode: '1' })).toBe('5557654321');
    expect(formatDialledNumber('+442079460000', { format: 'national', countryCode: '44' })).toBe('02079460000');
    expect(formatDialledNumber('+390612345678', { format: 'national', countryCode: '39', nationalPrefix: '' })).toBe('0612345678');
    expect(formatDialledNumber('+33142685300', { format: 'national', countryCode: '44' })).toBe('+33142685300'); // abroad
  });

  it("checks destinations against the trunk's allow-list: none allowed by default, deny wins, national read in its country", () => {
    const config = parseConfig({
      trunks: [
        { name: 'closed', outbound: { proxy: { host: '192.0.2.1' } } },
        { name: 'uk', outbound: { proxy: { host: '192.0.2.1' }, countryCode: 44, allow: ['+44'], deny: ['+449'] } },
      ],
    });
    const [closed, uk] = config.trunks.map((t) => (t.outbound ? trunkDestinations(t.outbound, null) : undefined));
    expect(closed?.check('+15557654321')).toMatchObject({ ok: false, code: 'DESTINATION_NOT_ALLOWED' });
    expect(uk?.check('02079460000')).toMatchObject({ ok: true, number: '+442079460000' });
    expect(uk?.check('+449098790000')).toMatchObject({ ok: false, code: 'DESTINATION_DENIED' });
    expect(uk?.check('+15557654321')).toMatchObject({ ok: false, code: 'DESTINATION_NOT_ALLOWED' });
  });
});
