import type { GatewayMessage } from '@patchbay/agents';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createInDialogRequest, type Dialog } from '../sip/dialog.js';
import { getHeader, type SipRequest, type SipResponse } from '../sip/message.js';
import type { ClientTransaction } from '../sip/stack.js';
import { CallRejection } from './admission.js';
import { testCall, testPlan } from './testing.js';
import type { Call, CallState, EndReason } from './call.js';
import type { CallEvent } from './events.js';
import { ConfigError, parseConfig } from '../config.js';
import { DestinationPolicy } from '../routing/index.js';
import { CallTransfers, NOTIFY_WAIT_MS, OUTCOME_WAIT_MS, transferDestinations } from './call-transfer.js';

/** What these tests transfer to (the allow-list every test but the policy ones runs with). */
const ALLOWED = new DestinationPolicy({ allow: ['+1555', 'pbx.example.com'] });

/** The SIP side as a transfer sees it: records REFERs (answered by the test), hangups and agent messages. */
class FakeHost {
  readonly refers: { req: SipRequest; answer: (status: number, reason: string) => void }[] = [];
  readonly hangups: { callId: string; reason: EndReason }[] = [];
  readonly told: { callId: string; msg: GatewayMessage }[] = [];
  buildRequest(call: Call, method: string, headers: { name: string; value: string }[]): SipRequest {
    if (!call.dialog) throw new Error('no dialog');
    return createInDialogRequest(call.dialog, { method, via: { transport: 'udp', host: '127.0.0.1', port: 5060 }, contact: '<sip:patchbay@127.0.0.1:5060>', headers });
  }
  sendRequest(req: SipRequest): ClientTransaction {
    let answer: (status: number, reason: string) => void = () => undefined;
    const response = new Promise<SipResponse>((resolve) => {
      answer = (status, reason) => resolve({ kind: 'response', status, reason, headers: [], body: Buffer.alloc(0) });
    });
    this.refers.push({ req, answer });
    return { request: req, response };
  }
  hangup(call: Call, reason: EndReason): void {
    this.hangups.push({ callId: call.id, reason });
  }
  tellAgent(callId: string, msg: GatewayMessage): void {
    this.told.push({ callId, msg });
  }
  get errors(): string[] {
    return this.told.map((t) => (t.msg.type === 'error' && t.msg.code === 'transfer_failed' ? t.msg.message : `unexpected ${t.msg.type}`));
  }
}

let n = 0;
function call(state: CallState = 'confirmed'): Call {
  const id = `call-${++n}`;
  const dialog: Dialog = {
    callId: `${id}@carrier`,
    localTag: 'gw1',
    remoteTag: 'car1',
    localNameAddr: '<sip:+15550100001@gw.example>;tag=gw1',
    remoteNameAddr: '<sip:+15550199999@carrier.example>;tag=car1',
    remoteTarget: 'sip:carrier@203.0.113.7:5060',
    routeSet: [],
    remoteSeq: 1,
    localSeq: 100,
    peer: { address: '203.0.113.7', port: 5060, transport: 'udp' },
  };
  return testCall({ id, sipCallId: dialog.callId, localTag: 'gw1', key: id, remote: dialog.peer, state, rtpPort: 20000, dialog });
}

function notify(event: string, frag: string, state = 'active;expires=60'): SipRequest {
  const headers = [
    { name: 'Event', value: event },
    { name: 'Subscription-State', value: state },
    { name: 'Content-Type', value: 'message/sipfrag;version=2.0' },
  ];
  return { kind: 'request', method: 'NOTIFY', uri: 'sip:patchbay@127.0.0.1', headers, body: Buffer.from(`${frag}\r\n`) };
}

/** What the gateway does with a NOTIFY: check (answer the rejection's status, or 200), then act. */
function deliver(transfers: CallTransfers, c: Call, req: SipRequest): number {
  try {
    const update = transfers.check(c, req);
    transfers.progress(c, update);
    return 200;
  } catch (err) {
    if (err instanceof CallRejection) return err.status;
    throw err;
  }
}

const flush = () => vi.advanceTimersByTimeAsync(0);

describe('CallTransfers', () => {
  let host: FakeHost;
  let transfers: CallTransfers;

  beforeEach(() => {
    vi.useFakeTimers();
    host = new FakeHost();
    transfers = new CallTransfers({ host, domain: null, logger: pino({ level: 'silent' }), destinations: () => ALLOWED });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('tells the lifecycle stream: transfer-requested when a REFER will go, transfer-failed when one does not (at once or from the peer), nothing for a second one in progress', async () => {
    const seen: string[] = [];
    const events = { emit: (e: CallEvent) => void seen.push(e.type === 'transfer-failed' ? `failed ${e.target}: ${e.message}` : e.type === 'transfer-requested' ? `requested ${e.target}` : e.type) };
    const told = new CallTransfers({ host, domain: null, logger: pino({ level: 'silent' }), destinations: () => ALLOWED, events });
    const c = call();
    told.request(c, '+4930123456');
    told.request(c, '+15557654321');
    told.request(c, '+15557654322');
    host.refers[0]?.answer(603, 'Decline');
    await flush();
    told.request(call('answered'), '+15557654323');
    expect(seen).toEqual([
      'failed +4930123456: target not allowed',
      'requested +15557654321',
      'failed +15557654321: REFER answered 603 Decline',
      'requested +15557654323',
    ]);
  });

  it('sends a REFER in the dialog with Refer-To and Referred-By', () => {
    const c = call();
    transfers.request(c, '+15557654321');
    const req = host.refers[0]?.req;
    if (!req) throw new Error('no REFER');
    expect(req.method).toBe('REFER');
    expect(req.uri).toBe('sip:carrier@203.0.113.7:5060');
    expect(getHeader(req, 'refer-to')).toBe('<sip:+15557654321@203.0.113.7>');
    expect(getHeader(req, 'referred-by')).toBe('<sip:+15550100001@gw.example>');
    expect(getHeader(req, 'cseq')).toBe('101 REFER');
    expect(getHeader(req, 'from')).toBe('<sip:+15550100001@gw.example>;tag=gw1');
    expect(getHeader(req, 'to')).toBe('<sip:+15550199999@carrier.example>;tag=car1');
  });

  it('202, NOTIFY 100 then 200: ends our leg as transferred', async () => {
    const c = call();
    transfers.request(c, '+15557654321');
    host.refers[0]?.answer(202, 'Accepted');
    await flush();
    expect(deliver(transfers, c, notify('refer', 'SIP/2.0 100 Trying'))).toBe(200);
    expect(host.hangups).toEqual([]);
    expect(transfers.byeReason(c)).toBe('transferred');
    expect(deliver(transfers, c, notify('refer;id=101', 'SIP/2.0 200 OK', 'terminated;reason=noresource'))).toBe(200);
    expect(host.hangups).toEqual([{ callId: c.id, reason: 'transferred' }]);
    expect(host.told).toEqual([]);
    // The subscription is over: a late NOTIFY names nothing of ours.
    expect(deliver(transfers, c, notify('refer', 'SIP/2.0 200 OK'))).toBe(481);
  });

  it('a final sipfrag >= 300 fails the transfer: the call goes on and the agent is told', async () => {
    const c = call();
    transfers.request(c, 'sip:desk@pbx.example.com');
    host.refers[0]?.answer(202, 'Accepted');
    await flush();
    expect(deliver(transfers, c, notify('refer', 'SIP/2.0 486 Busy Here', 'terminated'))).toBe(200);
    expect(host.hangups).toEqual([]);
    expect(host.errors).toEqual(['transfer target answered 486 Busy Here']);
    expect(transfers.byeReason(c)).toBe('remote-bye');
    // A new transfer may follow: its REFER is the next in the dialog.
    transfers.request(c, '+15557654321');
    expect(host.refers.map((r) => getHeader(r.req, 'cseq'))).toEqual(['101 REFER', '102 REFER']);
  });

  it('a refused REFER (or its timeout) fails the transfer; no timer is left behind', async () => {
    const c = call();
    transfers.request(c, '+15557654321');
    host.refers[0]?.answer(603, 'Decline');
    await flush();
    expect(host.errors).toEqual(['REFER answered 603 Decline']);
    transfers.request(c, '+15557654321');
    host.refers[1]?.answer(408, 'Request Timeout');
    await flush();
    expect(host.errors).toEqual(['REFER answered 603 Decline', 'REFER answered 408 Request Timeout']);
    expect(vi.getTimerCount()).toBe(0);
    expect(host.hangups).toEqual([]);
  });

  it('202 and no NOTIFY within 10 s: the acceptance counts as success', async () => {
    const c = call();
    transfers.request(c, '+15557654321');
    host.refers[0]?.answer(202, 'Accepted');
    await flush();
    await vi.advanceTimersByTimeAsync(NOTIFY_WAIT_MS - 1);
    expect(host.hangups).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(host.hangups).toEqual([{ callId: c.id, reason: 'transferred' }]);
  });

  it('after progress, waits up to 60 s for the final NOTIFY, each progress restarting the wait', async () => {
    const c = call();
    transfers.request(c, '+15557654321');
    host.refers[0]?.answer(202, 'Accepted');
    await flush();
    deliver(transfers, c, notify('refer', 'SIP/2.0 100 Trying'));
    await vi.advanceTimersByTimeAsync(OUTCOME_WAIT_MS - 1000);
    deliver(transfers, c, notify('refer', 'SIP/2.0 180 Ringing'));
    await vi.advanceTimersByTimeAsync(OUTCOME_WAIT_MS - 1);
    expect(host.hangups).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(host.hangups).toEqual([{ callId: c.id, reason: 'transferred' }]);
  });

  it('a NOTIFY may overtake the 202 (RFC 3515 §2.4.4)', async () => {
    const c = call();
    transfers.request(c, '+15557654321');
    expect(deliver(transfers, c, notify('refer', 'SIP/2.0 200 OK', 'terminated'))).toBe(200);
    expect(host.hangups).toEqual([{ callId: c.id, reason: 'transferred' }]);
    host.refers[0]?.answer(202, 'Accepted');
    await flush();
    expect(host.hangups).toHaveLength(1);
    expect(host.told).toEqual([]);
  });

  it('one transfer at a time', async () => {
    const c = call();
    transfers.request(c, '+15557654321');
    transfers.request(c, '+15550000000');
    expect(host.refers).toHaveLength(1);
    expect(host.errors).toEqual(['transfer already in progress']);
    host.refers[0]?.answer(202, 'Accepted');
    await flush();
    deliver(transfers, c, notify('refer', 'SIP/2.0 200 OK'));
    expect(host.hangups).toEqual([{ callId: c.id, reason: 'transferred' }]);
  });

  it('before the answer: refused; between the 2xx and its ACK: waits for the ACK', () => {
    const early = call('ringing');
    transfers.request(early, '+15557654321');
    expect(host.errors).toEqual(['the call is not connected yet']);
    const c = call('answered');
    transfers.request(c, '+15557654321');
    expect(host.refers).toHaveLength(0);
    expect(deliver(transfers, c, notify('refer', 'SIP/2.0 200 OK'))).toBe(481); // no REFER out yet
    c.state = 'confirmed';
    transfers.confirmed(c);
    expect(host.refers).toHaveLength(1);
  });

  it('a REFER that cannot be sent fails this transfer only', () => {
    host.sendRequest = () => {
      throw new Error('transport gone');
    };
    const c = call();
    transfers.request(c, '+15557654321');
    expect(host.errors).toEqual(['REFER could not be sent']);
    expect(transfers.byeReason(c)).toBe('remote-bye');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a target outside the policy is refused without a REFER, counted by code; the call goes on', () => {
    const stats = { transfersRefused: {} };
    transfers = new CallTransfers({ host, domain: null, logger: pino({ level: 'silent' }), destinations: () => ALLOWED, stats });
    const c = call();
    for (const target of ['+19005551234', 'sip:desk@pbx.example.com;maddr=evil.example.com', '*725551234', 'sip:desk@evil.example.com']) {
      transfers.request(c, target);
    }
    expect(host.refers).toHaveLength(0);
    expect(host.errors).toEqual(Array(4).fill('target not allowed'));
    expect(stats.transfersRefused).toEqual({ DESTINATION_NOT_ALLOWED: 2, DESTINATION_URI_PARAMETER: 1, DESTINATION_NOT_DIALABLE: 1 });
    expect(host.hangups).toEqual([]);
    // Nothing was left in progress: an allowed target still goes out.
    transfers.request(c, 'tel:+1-555-765-4321');
    const req = host.refers[0]?.req;
    if (!req) throw new Error('no REFER for an allowed target');
    expect(getHeader(req, 'refer-to')).toBe('<sip:+15557654321@203.0.113.7>');
  });

  it('with nothing configured every target is refused', () => {
    transfers = new CallTransfers({ host, domain: null, logger: pino({ level: 'silent' }), destinations: transferDestinations(parseConfig({})) });
    transfers.request(call(), '+15557654321');
    transfers.request(call(), 'sip:desk@pbx.example.com');
    expect(host.refers).toHaveLength(0);
    expect(host.errors).toEqual(['target not allowed', 'target not allowed']);
  });

  it('NOTIFYs for another REFER or another event are refused; the transfer goes on', async () => {
    const c = call();
    transfers.request(c, '+15557654321');
    host.refers[0]?.answer(202, 'Accepted');
    await flush();
    expect(deliver(transfers, c, notify('refer;id=99', 'SIP/2.0 200 OK'))).toBe(481);
    expect(deliver(transfers, c, notify('dialog', 'SIP/2.0 200 OK'))).toBe(489);
    expect(deliver(transfers, c, notify('refer', 'garbage'))).toBe(400);
    expect(host.hangups).toEqual([]);
    expect(deliver(transfers, c, notify('refer;id=101', 'SIP/2.0 200 OK'))).toBe(200);
    expect(host.hangups).toHaveLength(1);
  });

  it('the call ending drops the transfer and its timer', async () => {
    const c = call();
    transfers.request(c, '+15557654321');
    host.refers[0]?.answer(202, 'Accepted');
    await flush();
    expect(vi.getTimerCount()).toBe(1);
    transfers.ended(c);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(NOTIFY_WAIT_MS);
    expect(host.hangups).toEqual([]);
    expect(host.told).toEqual([]);
  });
});

describe('transferDestinations', () => {
  const config = parseConfig({
    sip: { defaultCountryCode: 1 },
    transfer: { allow: ['+44'] },
    numbers: { '+15550100001': { agent: 'echo' }, '+1555*': { agent: 'echo', transfer: { allow: ['+1555'], deny: ['+15550000'] } } },
  });
  const destinations = transferDestinations(config);
  const on = (pattern: string): Call => {
    const c = call();
    return { ...c, plan: testPlan({ config, pattern }) };
  };

  it('a number without its own list uses the top-level one', () => {
    const policy = destinations(on('+15550100001'));
    expect(policy.check('+442079460000').ok).toBe(true);
    expect(policy.check('+15557654321').ok).toBe(false);
  });

  it("a number's own list replaces the top-level one, national numbers read with sip.defaultCountryCode", () => {
    const policy = destinations(on('+1555*'));
    expect(policy.check('5557654321')).toMatchObject({ ok: true, number: '+15557654321' });
    expect(policy.check('+442079460000')).toMatchObject({ ok: false, code: 'DESTINATION_NOT_ALLOWED' });
    expect(policy.check('+15550000123')).toMatchObject({ ok: false, code: 'DESTINATION_DENIED' });
    expect(destinations(on('+1555*'))).toBe(policy); // built once
  });
});

describe('transfer config', () => {
  function issues(raw: unknown): string[] {
    try {
      parseConfig(raw);
    } catch (err) {
      if (err instanceof ConfigError) return err.issues;
      throw err;
    }
    return [];
  }

  it('defaults to nothing allowed, at the top level and for every number', () => {
    const config = parseConfig({});
    expect(config.transfer).toEqual({ allow: [], deny: [] });
    expect(config.numbers['*']?.transfer).toBeUndefined();
  });

  it('names each bad entry by its path', () => {
    expect(
      issues({
        transfer: { allow: ['+1555', '1555'], deny: ['sip:evil.example.com'] },
        numbers: { '+1555*': { agent: 'echo', transfer: { allow: ['+1 555'], extra: true } } },
      }),
    ).toEqual([
      `numbers."+1555*".transfer.allow[0]: '+1 555' is not an E.164 prefix: '+' then 1 to 15 digits, e.g. +1555 or +44`,
      'numbers."+1555*".transfer.extra: unknown key (check the spelling)',
      "transfer.allow[1]: '1555' is neither an E.164 prefix (+1555) nor a SIP domain (pbx.example.com, *.example.com, an IP address)",
      "transfer.deny[0]: 'sip:evil.example.com' is neither an E.164 prefix (+1555) nor a SIP domain (pbx.example.com, *.example.com, an IP address)",
    ]);
  });
});
