import { describe, expect, it } from 'vitest';
import type { SipHeader, SipRequest } from '../sip/message.js';
import { CallRejection } from './admission.js';
import { parseSipfrag, readReferNotify } from './refer-notify.js';

function notify(body: string, headers: Record<string, string> = {}): SipRequest {
  const base: Record<string, string> = { Event: 'refer', 'Subscription-State': 'active;expires=60', 'Content-Type': 'message/sipfrag;version=2.0', ...headers };
  const list: SipHeader[] = Object.entries(base).filter(([, v]) => v !== '').map(([name, value]) => ({ name, value }));
  return { kind: 'request', method: 'NOTIFY', uri: 'sip:patchbay@127.0.0.1', headers: list, body: Buffer.from(body) };
}

function rejection(fn: () => unknown): CallRejection {
  try {
    fn();
  } catch (err) {
    if (err instanceof CallRejection) return err;
    throw err;
  }
  throw new Error('expected a CallRejection');
}

describe('parseSipfrag', () => {
  it('reads the status line a sipfrag begins with', () => {
    expect(parseSipfrag('SIP/2.0 100 Trying\r\n')).toEqual({ status: 100, reason: 'Trying' });
    expect(parseSipfrag('SIP/2.0 200 OK')).toEqual({ status: 200, reason: 'OK' });
    expect(parseSipfrag('SIP/2.0 486 Busy Here\r\nContact: <sip:x@y>\r\n\r\n')).toEqual({ status: 486, reason: 'Busy Here' });
    expect(parseSipfrag('\r\nsip/2.0 603\n')).toEqual({ status: 603, reason: '' });
  });

  it('refuses a body that is not a status line', () => {
    for (const body of ['', 'OK', 'INVITE sip:a@b SIP/2.0', 'SIP/2.0 99 Low', 'SIP/2.0 700 High', 'SIP/3.0 200 OK', 'SIP/2.0 2000 OK']) {
      expect(parseSipfrag(body), JSON.stringify(body)).toBeUndefined();
    }
  });

  it('keeps control characters and overlong reasons out', () => {
    expect(parseSipfrag('SIP/2.0 480 Temp\u0007orarily\u0000 Unavailable')).toEqual({ status: 480, reason: 'Temporarily Unavailable' });
    expect(parseSipfrag(`SIP/2.0 500 ${'x'.repeat(500)}`)?.reason).toHaveLength(128);
  });
});

describe('readReferNotify', () => {
  it('reads the event id, the sipfrag status and whether the subscription ended', () => {
    expect(readReferNotify(notify('SIP/2.0 100 Trying\r\n'))).toEqual({ id: undefined, status: 100, reason: 'Trying', terminated: false });
    const final = readReferNotify(notify('SIP/2.0 200 OK\r\n', { Event: 'refer;id=4711', 'Subscription-State': 'terminated;reason=noresource' }));
    expect(final).toEqual({ id: 4711, status: 200, reason: 'OK', terminated: true });
  });

  it('takes the compact Event form and a missing Content-Type', () => {
    const req = notify('SIP/2.0 180 Ringing', { Event: '', 'Content-Type': '' });
    req.headers.push({ name: 'o', value: 'REFER' });
    expect(readReferNotify(req).status).toBe(180);
  });

  it('answers what it cannot take with the status that names the fault', () => {
    expect(rejection(() => readReferNotify(notify('SIP/2.0 200 OK', { Event: '' })))).toMatchObject({ status: 400, code: 'SIP_NOTIFY_NO_EVENT' });
    const badEvent = rejection(() => readReferNotify(notify('SIP/2.0 200 OK', { Event: 'dialog' })));
    expect(badEvent).toMatchObject({ status: 489, code: 'SIP_BAD_EVENT' });
    expect(badEvent.headers).toEqual([{ name: 'Allow-Events', value: 'refer' }]);
    expect(rejection(() => readReferNotify(notify('SIP/2.0 200 OK', { Event: 'refer;id=abc' })))).toMatchObject({ status: 400, code: 'SIP_NOTIFY_BAD_ID' });
    const badType = rejection(() => readReferNotify(notify('SIP/2.0 200 OK', { 'Content-Type': 'application/sdp' })));
    expect(badType).toMatchObject({ status: 415, code: 'SIP_UNSUPPORTED_BODY' });
    expect(badType.headers).toEqual([{ name: 'Accept', value: 'message/sipfrag' }]);
    expect(rejection(() => readReferNotify(notify('')))).toMatchObject({ status: 400, code: 'SIP_BAD_SIPFRAG' });
    expect(rejection(() => readReferNotify(notify('hello')))).toMatchObject({ status: 400, code: 'SIP_BAD_SIPFRAG' });
  });
});
