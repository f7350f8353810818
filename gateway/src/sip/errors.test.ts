import { describe, expect, it } from 'vitest';

import { SipError, SipErrorCode, SipParseError } from './errors.js';

describe('SipError / SipParseError', () => {
  it('carries status, reason, code and cause', () => {
    const cause = new Error('inner');
    const e = new SipError(488, 'Not Acceptable Here - No common codec', { code: 'SIP_NO_CODEC', cause });
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({ status: 488, reason: 'Not Acceptable Here - No common codec', code: 'SIP_NO_CODEC', name: 'SipError' });
    expect(e.message).toBe('488 Not Acceptable Here - No common codec');
    expect(e.cause).toBe(cause);
    expect(new SipError(500, 'x').code).toBe(SipErrorCode.Generic);
  });

  it('SipParseError is a SipError with an optional partial', () => {
    const e = new SipParseError(400, 'Bad Request - Missing Call-ID', {
      code: SipErrorCode.MissingHeader,
      partial: { startLine: 'INVITE sip:a@b SIP/2.0', headers: [{ name: 'Via', value: 'x' }] },
    });
    expect(e).toBeInstanceOf(SipError);
    expect(e.name).toBe('SipParseError');
    expect(e.partial?.headers).toHaveLength(1);
    expect(new SipParseError(400, 'x').partial).toBeUndefined();
    expect('partial' in new SipParseError(400, 'x')).toBe(false);
  });
});
