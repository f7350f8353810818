import { describe, expect, it } from 'vitest';
import { SipError } from '../errors.js';
import { clientTransactionKey, legacyAckCandidates, serverTransactionKey, tagOf } from './matching.js';
import { reply, request } from './test-helpers.js';

describe('serverTransactionKey (RFC 3261 §17.2.3)', () => {
  it('uses branch, sent-by and method; ACK maps to INVITE, CANCEL stays apart', () => {
    const invite = serverTransactionKey(request());
    expect(serverTransactionKey(request({ method: 'ACK', toTag: 'x' }))).toBe(invite);
    expect(serverTransactionKey(request({ method: 'CANCEL' }))).not.toBe(invite);
    expect(serverTransactionKey(request({ method: 'CANCEL' }), { method: 'INVITE' })).toBe(invite);
    expect(serverTransactionKey(request({ sentBy: '192.0.2.10' }))).toBe(invite); // default port 5060
    expect(serverTransactionKey(request({ sentBy: '192.0.2.10:5070' }))).not.toBe(invite);
    // Fields other than the branch do not matter with a magic-cookie branch.
    expect(serverTransactionKey(request({ callId: 'other', uri: 'sip:x@y' }))).toBe(invite);
  });

  it('ignores the received and rport we stamp on RFC 2543 requests', () => {
    const plain = serverTransactionKey(request({ branch: '' }));
    expect(serverTransactionKey(request({ branch: '', viaParams: ';received=10.0.0.1;rport=4000' }))).toBe(plain);
  });

  it('RFC 2543: R-URI, tags, Call-ID, CSeq number and top Via all count', () => {
    const base = serverTransactionKey(request({ branch: '' }));
    for (const spec of [{ uri: 'sip:c@x' }, { fromTag: 'f2' }, { toTag: 't' }, { callId: 'c2' }, { cseq: 9 }, { branch: 'old1' }]) {
      expect(serverTransactionKey(request({ branch: '', ...spec }))).not.toBe(base);
    }
    const ack = request({ method: 'ACK', branch: '', toTag: 'uas' });
    expect(legacyAckCandidates(ack)[0]).toBe(base);
  });

  it('throws a 400 SipError without a Via', () => {
    const req = request();
    req.headers.splice(0, 1);
    expect(() => serverTransactionKey(req)).toThrow(SipError);
  });
});

describe('clientTransactionKey (RFC 3261 §17.1.3)', () => {
  it('matches a response by branch and CSeq method', () => {
    const req = request({ method: 'INVITE' });
    expect(clientTransactionKey(reply(req, 200))).toBe(clientTransactionKey(req));
    const cancel = request({ method: 'CANCEL' });
    expect(clientTransactionKey(reply(cancel, 200))).not.toBe(clientTransactionKey(req));
  });

  it('reads tags', () => {
    expect(tagOf('<sip:a@b>;tag=xyz')).toBe('xyz');
    expect(tagOf('<sip:a@b>')).toBeUndefined();
    expect(tagOf('"unterminated <sip:a@b>')).toBeUndefined();
  });
});
