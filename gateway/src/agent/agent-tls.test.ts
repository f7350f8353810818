import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config.js';
import { loadAgentTls, tlsFailureCode } from './agent-tls.js';

describe('agents.tls files', () => {
  it('nothing configured: undefined (Node’s CAs)', () => {
    expect(loadAgentTls({}, '/')).toBeUndefined();
  });

  it('a missing file stops the start naming the setting; a CA file with no certificate too', () => {
    expect(() => loadAgentTls({ caFile: 'nope.pem' }, '/nonexistent')).toThrow(ConfigError);
    expect(() => loadAgentTls({ caFile: 'nope.pem' }, '/nonexistent')).toThrow(/agents\.tls\.caFile: cannot read \/nonexistent\/nope\.pem/);
    expect(() => loadAgentTls({ caFile: '/dev/null' }, '/')).not.toThrow(); // an empty bundle adds nothing; not an error
  });
});

describe('tlsFailureCode', () => {
  it('names TLS failures and leaves the rest to the other codes', () => {
    for (const code of ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'ERR_SSL_WRONG_VERSION_NUMBER', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY']) {
      expect(tlsFailureCode(Object.assign(new Error('x'), { code }))).toBe(code);
    }
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', undefined]) expect(tlsFailureCode(Object.assign(new Error('x'), { code }))).toBeUndefined();
  });
});
