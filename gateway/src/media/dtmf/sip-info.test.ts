import { describe, expect, it } from 'vitest';
import { DEFAULT_INFO_DURATION_MS, parseDtmfInfo } from './sip-info.js';

describe('parseDtmfInfo', () => {
  it('reads application/dtmf-relay with CRLF or LF, any key case, spaces around values', () => {
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n')).toEqual({ digit: '5', durationMs: 160 });
    expect(parseDtmfInfo('Application/DTMF-Relay; charset=utf-8', 'signal= *\nDURATION= 250\n')).toEqual({ digit: '*', durationMs: 250 });
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=#\r\nDuration=100')).toEqual({ digit: '#', durationMs: 100 });
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=d\r\n')).toEqual({ digit: 'D', durationMs: DEFAULT_INFO_DURATION_MS });
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=10\r\nDuration=120')).toEqual({ digit: '*', durationMs: 120 });
  });

  it('reads application/dtmf', () => {
    expect(parseDtmfInfo('application/dtmf', '5')).toEqual({ digit: '5', durationMs: DEFAULT_INFO_DURATION_MS });
    expect(parseDtmfInfo('application/dtmf', ' #\r\n')).toEqual({ digit: '#', durationMs: DEFAULT_INFO_DURATION_MS });
  });

  it('rejects invalid bodies and other content types', () => {
    expect(parseDtmfInfo(undefined, 'Signal=5')).toBeUndefined();
    expect(parseDtmfInfo('text/plain', 'Signal=5')).toBeUndefined();
    expect(parseDtmfInfo('application/dtmf-relay', '')).toBeUndefined();
    expect(parseDtmfInfo('application/dtmf-relay', 'Duration=160')).toBeUndefined();
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=X\r\nDuration=160')).toBeUndefined();
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=55')).toBeUndefined();
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=5\r\nDuration=-3')).toBeUndefined();
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=5\r\nDuration=abc')).toBeUndefined();
    expect(parseDtmfInfo('application/dtmf', '55')).toBeUndefined();
    expect(parseDtmfInfo('application/dtmf', '')).toBeUndefined();
  });
});
