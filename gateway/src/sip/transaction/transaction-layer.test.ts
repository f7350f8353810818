import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { getHeader, type SipMessage, type SipRequest, type SipResponse } from '../message.js';
import type { InboundContext, RemoteInfo } from '../transport/types.js';
import { tagOf } from './matching.js';
import { reply, request } from './test-helpers.js';
import { resolveTimers } from './timers.js';
import { TransactionLayer } from './transaction-layer.js';
import { SipTransactionStateError, type ServerTransaction } from './types.js';

const remote: RemoteInfo = { transport: 'udp', address: '192.0.2.10', port: 5060 };
const inbound: InboundContext = { remote };

function setup(maxTransactions = 100) {
  const responses: SipResponse[] = [];
  const requestsOut: { msg: SipMessage; target: RemoteInfo }[] = [];
  const layer = new TransactionLayer({
    timers: resolveTimers(),
    logger: pino({ level: 'silent' }),
    maxTransactions,
    sendResponse: (res) => {
      responses.push(res);
      return Promise.resolve();
    },
    sendRequest: (msg, target) => {
      requestsOut.push({ msg, target });
      return Promise.resolve();
    },
  });
  const txs: ServerTransaction[] = [];
  const acks: SipRequest[] = [];
  layer.onRequest = (tx) => txs.push(tx);
  layer.onAck = (ack) => acks.push(ack);
  const statuses = (): number[] => responses.map((r) => r.status);
  return { layer, responses, requestsOut, txs, acks, statuses };
}

function ackFor(invite: SipRequest, toTag: string, branch?: string): SipRequest {
  return request({ method: 'ACK', toTag, ...(branch === undefined ? {} : { branch }), cseqMethod: 'ACK', uri: invite.uri });
}

describe('TransactionLayer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('absorbs a retransmitted INVITE: one onRequest, 100 resent', () => {
    const { layer, txs, statuses } = setup();
    layer.handleRequest(request(), inbound);
    layer.handleRequest(request(), inbound);
    expect(txs.length).toBe(1);
    expect(statuses()).toEqual([100, 100]);
    expect(layer.counters.retransmissionsAbsorbed).toBe(1);
    expect(layer.size).toBe(1);
  });

  it('keeps transactions apart by branch, sent-by and method', () => {
    const { layer, txs } = setup();
    layer.handleRequest(request(), inbound);
    layer.handleRequest(request({ branch: 'z9hG4bKother' }), inbound);
    layer.handleRequest(request({ sentBy: '192.0.2.99:5060' }), inbound);
    layer.handleRequest(request({ method: 'OPTIONS' }), inbound);
    expect(txs.length).toBe(4);
  });

  it('matches the ACK for a non-2xx to the INVITE transaction, and passes a 2xx ACK to onAck', () => {
    const { layer, txs, acks } = setup();
    const invite = request();
    layer.handleRequest(invite, inbound);
    const tx = txs[0];
    if (tx === undefined) throw new Error('no tx');
    tx.respond(reply(invite, 486, 'uas1'));
    layer.handleRequest(ackFor(invite, 'uas1'), inbound);
    expect(tx.state).toBe('confirmed');
    expect(acks).toEqual([]);

    const invite2 = request({ branch: 'z9hG4bKsecond', callId: 'call-2' });
    layer.handleRequest(invite2, inbound);
    const tx2 = txs[1];
    if (tx2 === undefined) throw new Error('no tx');
    tx2.respond(reply(invite2, 200, 'uas2'));
    const ack2 = request({ method: 'ACK', branch: 'z9hG4bKnewbranch', callId: 'call-2', toTag: 'uas2' });
    layer.handleRequest(ack2, inbound);
    expect(acks).toEqual([ack2]);
    // An ACK reusing the INVITE branch while Accepted also belongs to the TU (RFC 6026).
    layer.handleRequest(ackFor(invite2, 'uas2', 'z9hG4bKsecond'), inbound);
    expect(acks.length).toBe(2);
  });

  it('CANCEL: 200 with the To tag of the provisional, then onCancel; the TU answers 487', () => {
    const { layer, txs, responses } = setup();
    const invite = request();
    layer.handleRequest(invite, inbound);
    const tx = txs[0];
    if (tx === undefined) throw new Error('no tx');
    tx.respond(reply(invite, 180, 'uas1'));
    const order: string[] = [];
    tx.onCancel = () => {
      order.push(`cancel after ${responses.at(-1)?.status ?? 0}`);
      tx.respond(reply(invite, 487, 'uas1'));
    };
    layer.handleRequest(request({ method: 'CANCEL' }), inbound);
    expect(order).toEqual(['cancel after 200']);
    const cancelOk = responses.find((r) => getHeader(r, 'cseq') === '1 CANCEL');
    expect(cancelOk?.status).toBe(200);
    expect(tagOf(getHeader(cancelOk ?? reply(invite, 200), 'to'))).toBe('uas1');
    expect(responses.at(-1)?.status).toBe(487);
    expect(txs.length).toBe(1);

    // A retransmitted CANCEL gets the same 200 again, with no second onCancel.
    layer.handleRequest(request({ method: 'CANCEL' }), inbound);
    expect(order.length).toBe(1);
    expect(responses.filter((r) => getHeader(r, 'cseq') === '1 CANCEL').length).toBe(2);
  });

  it('CANCEL without a matching INVITE gets 481; after the final response it gets 200 and no onCancel', () => {
    const { layer, txs, responses } = setup();
    layer.handleRequest(request({ method: 'CANCEL', branch: 'z9hG4bKnothing' }), inbound);
    expect(responses.at(-1)?.status).toBe(481);

    const invite = request();
    layer.handleRequest(invite, inbound);
    const tx = txs[0];
    if (tx === undefined) throw new Error('no tx');
    let cancelled = 0;
    tx.onCancel = () => cancelled++;
    tx.respond(reply(invite, 200, 'uas1'));
    layer.handleRequest(request({ method: 'CANCEL' }), inbound);
    expect(responses.at(-1)?.status).toBe(200);
    expect(getHeader(responses.at(-1) ?? reply(invite, 1), 'cseq')).toBe('1 CANCEL');
    expect(cancelled).toBe(0);
    expect(txs.length).toBe(1);
  });

  it('matches RFC 2543 requests (no magic cookie) on R-URI, tags, Call-ID, CSeq and top Via', () => {
    const { layer, txs, acks, statuses } = setup();
    const invite = request({ branch: '' });
    layer.handleRequest(invite, inbound);
    layer.handleRequest(request({ branch: '' }), inbound);
    expect(txs.length).toBe(1);
    layer.handleRequest(request({ branch: '', cseq: 2 }), inbound);
    layer.handleRequest(request({ branch: '', uri: 'sip:carol@example.com' }), inbound);
    layer.handleRequest(request({ branch: '', fromTag: 'other' }), inbound);
    layer.handleRequest(request({ branch: '', sentBy: '192.0.2.11' }), inbound);
    expect(txs.length).toBe(5);

    const tx = txs[0];
    if (tx === undefined) throw new Error('no tx');
    tx.respond(reply(invite, 486, 'legacy'));
    layer.handleRequest(ackFor(invite, 'wrong', ''), inbound);
    expect(tx.state).toBe('completed');
    expect(acks.length).toBe(1);
    layer.handleRequest(ackFor(invite, 'legacy', ''), inbound);
    expect(tx.state).toBe('confirmed');
    expect(acks.length).toBe(1);

    // CANCEL for a legacy INVITE (its CSeq method differs; the To tag is not compared).
    const tx2 = txs[1];
    if (tx2 === undefined) throw new Error('no tx');
    let cancelled = false;
    tx2.onCancel = () => {
      cancelled = true;
    };
    layer.handleRequest(request({ method: 'CANCEL', branch: '', cseq: 2 }), inbound);
    expect(cancelled).toBe(true);
    expect(statuses().at(-1)).toBe(200);
  });

  it('answers 503 beyond the live-transaction cap and frees slots when transactions end', () => {
    const { layer, txs, responses } = setup(2);
    layer.handleRequest(request({ branch: 'z9hG4bK1' }), inbound);
    layer.handleRequest(request({ branch: 'z9hG4bK2', method: 'OPTIONS' }), inbound);
    layer.handleRequest(request({ branch: 'z9hG4bK3' }), inbound);
    expect(txs.length).toBe(2);
    expect(responses.at(-1)?.status).toBe(503);
    expect(getHeader(responses.at(-1) ?? reply(request(), 1), 'retry-after')).toBe('5');
    expect(layer.counters.overCapacity).toBe(1);

    const options = txs[1];
    if (options === undefined) throw new Error('no tx');
    options.respond(reply(options.request, 200, 't'));
    vi.advanceTimersByTime(64 * 500);
    expect(layer.size).toBe(1);
    layer.handleRequest(request({ branch: 'z9hG4bK3' }), inbound);
    expect(txs.length).toBe(3);
  });

  it('over the cap still serves requests inside a live dialog (and CANCELs of a live INVITE), so calls can end', () => {
    const { layer, txs, statuses } = setup(1);
    layer.isDialog = (req) => tagOf(getHeader(req, 'to')) === 'ours';
    layer.handleRequest(request({ branch: 'z9hG4bK1' }), inbound);
    layer.handleRequest(request({ branch: 'z9hG4bK2' }), inbound);
    expect(statuses().at(-1)).toBe(503);
    layer.handleRequest(request({ branch: 'z9hG4bK3', method: 'BYE', toTag: 'ours', cseq: 2 }), inbound);
    layer.handleRequest(request({ branch: 'z9hG4bK1', method: 'CANCEL' }), inbound);
    expect(txs.map((t) => t.request.method)).toEqual(['INVITE', 'BYE']);
    expect(statuses().at(-1)).toBe(200); // the CANCEL
    expect(layer.counters.overCapacity).toBe(1);
  });

  it('a To tag naming no dialog: one stateless 481, no transaction, not shown to the TU', () => {
    const { layer, txs, responses } = setup();
    const asked: string[] = [];
    layer.isDialog = (req) => (asked.push(req.method), false);
    for (const method of ['OPTIONS', 'BYE', 'INFO', 'INVITE', 'NOTIFY']) {
      layer.handleRequest(request({ method, branch: `z9hG4bK${method}`, toTag: 'gone', cseq: 2 }), inbound);
    }
    expect(asked).toEqual(['OPTIONS', 'BYE', 'INFO', 'INVITE', 'NOTIFY']);
    expect(txs).toEqual([]);
    expect(layer.size).toBe(0);
    expect(responses.map((r) => [r.status, tagOf(getHeader(r, 'to'))])).toEqual(Array(5).fill([481, 'gone']));
    expect(layer.counters.unknownDialog).toBe(5);
    // A retransmission is answered again, once (nothing was kept to absorb it); nothing fires later.
    layer.handleRequest(request({ method: 'BYE', branch: 'z9hG4bKBYE', toTag: 'gone', cseq: 2 }), inbound);
    vi.advanceTimersByTime(64 * 500);
    expect(responses.length).toBe(6);
    // An ACK with a To tag is never answered, dialog or not, and goes to onAck as before.
    layer.handleRequest(request({ method: 'ACK', branch: 'z9hG4bKack', toTag: 'gone' }), inbound);
    expect(responses.length).toBe(6);
  });

  it('without an isDialog hook, requests with a To tag are served but count against the cap', () => {
    const { layer, txs, statuses } = setup(1);
    layer.handleRequest(request({ method: 'OPTIONS', branch: 'z9hG4bK1', toTag: 'x' }), inbound);
    layer.handleRequest(request({ method: 'OPTIONS', branch: 'z9hG4bK2', toTag: 'y' }), inbound);
    expect(txs.length).toBe(1);
    expect(statuses()).toEqual([503]);
  });

  it('an isDialog hook that throws is logged and the request is served under the cap', () => {
    const { layer, txs } = setup();
    layer.isDialog = () => {
      throw new Error('TU bug');
    };
    layer.handleRequest(request({ method: 'BYE', toTag: 'x', cseq: 2 }), inbound);
    expect(txs.map((t) => t.request.method)).toEqual(['BYE']);
  });

  it('a CANCEL matching no INVITE: stateless 481, no transaction kept', () => {
    const { layer, statuses } = setup();
    layer.handleRequest(request({ method: 'CANCEL', branch: 'z9hG4bKnothing' }), inbound);
    expect(statuses()).toEqual([481]);
    expect(layer.size).toBe(0);
    expect(layer.counters.unknownDialog).toBe(1);
  });

  it('an INVITE the TU refuses in its own turn gets the final response alone (no 100 Trying)', () => {
    const { layer, statuses } = setup();
    layer.onRequest = (tx) => tx.respond(reply(tx.request, 404, 'r'));
    layer.handleRequest(request(), inbound);
    expect(statuses()).toEqual([404]);
    // An INVITE the TU has not answered by the end of its turn gets 100 Trying at once.
    layer.onRequest = () => undefined;
    layer.handleRequest(request({ branch: 'z9hG4bKlater' }), inbound);
    expect(statuses()).toEqual([404, 100]);
  });

  it('respondStateless: one datagram, no Timer G, no transaction; a retransmission is a new request; the ACK is stray', () => {
    const { layer, txs, statuses, acks } = setup();
    const invite = request();
    layer.onRequest = (tx) => {
      txs.push(tx);
      tx.respondStateless(reply(tx.request, 403, 'r'));
    };
    layer.handleRequest(invite, inbound);
    expect(statuses()).toEqual([403]);
    expect(layer.size).toBe(0);
    vi.advanceTimersByTime(64 * 500);
    expect(statuses()).toEqual([403]);
    layer.handleRequest(request(), inbound);
    expect(txs.length).toBe(2);
    expect(statuses()).toEqual([403, 403]);
    layer.handleRequest(ackFor(invite, 'r', 'z9hG4bKabc123'), inbound);
    expect(acks.length).toBe(1); // the TU's onAck finds no call and ignores it
    expect(statuses()).toEqual([403, 403]);
  });

  it('respondStateless refuses what it cannot send once: a 2xx or provisional to INVITE, a second final', () => {
    const { layer, txs } = setup();
    layer.handleRequest(request(), inbound);
    const tx = txs[0];
    if (tx === undefined) throw new Error('no tx');
    expect(() => tx.respondStateless(reply(tx.request, 200, 'r'))).toThrow(SipTransactionStateError);
    expect(() => tx.respondStateless(reply(tx.request, 180, 'r'))).toThrow(SipTransactionStateError);
    tx.respond(reply(tx.request, 486, 'r'));
    expect(() => tx.respondStateless(reply(tx.request, 486, 'r'))).toThrow(SipTransactionStateError);
  });

  it('a client request over the cap resolves 503 without sending', async () => {
    const { layer, requestsOut } = setup(0);
    const tx = layer.sendRequest(request({ method: 'OPTIONS' }), remote);
    expect((await tx.response).status).toBe(503);
    expect(requestsOut).toEqual([]);
  });

  it('passes methods it does not know to onRequest, and answers 500 when onRequest throws', () => {
    const { layer, txs, statuses } = setup();
    layer.handleRequest(request({ method: 'FOOBAR' }), inbound);
    expect(txs[0]?.request.method).toBe('FOOBAR');
    layer.onRequest = () => {
      throw new Error('TU bug');
    };
    layer.handleRequest(request({ method: 'INFO', branch: 'z9hG4bKinfo' }), inbound);
    expect(statuses()).toEqual([500]);
  });

  it('rejects a request whose CSeq method differs from its method, statelessly', () => {
    const { layer, txs, statuses } = setup();
    layer.handleRequest(request({ method: 'OPTIONS', cseqMethod: 'INVITE' }), inbound);
    expect(txs).toEqual([]);
    expect(statuses()).toEqual([400]);
    expect(layer.counters.rejected).toBe(1);
  });

  it('routes responses to client transactions by branch and CSeq method; strays are counted', async () => {
    const { layer, requestsOut } = setup();
    const req = request({ method: 'OPTIONS', branch: 'z9hG4bKclient' });
    const tx = layer.sendRequest(req, remote);
    expect(requestsOut[0]?.target).toEqual(remote);
    expect(layer.handleResponse(reply(request({ method: 'OPTIONS', branch: 'z9hG4bKelse' }), 200))).toBe(false);
    expect(layer.handleResponse(reply(request({ method: 'INFO', branch: 'z9hG4bKclient' }), 200))).toBe(false);
    expect(layer.handleResponse(reply(req, 200, 'x'))).toBe(true);
    expect((await tx.response).status).toBe(200);
    expect(layer.counters.strayResponses).toBe(2);
    expect(() => layer.sendRequest(request({ method: 'ACK' }), remote)).toThrow();
  });

  it('close() ends everything and resolves pending client transactions with 503', async () => {
    const { layer } = setup();
    layer.handleRequest(request(), inbound);
    const tx = layer.sendRequest(request({ method: 'OPTIONS', branch: 'z9hG4bKc' }), remote);
    layer.close();
    expect(layer.size).toBe(0);
    expect((await tx.response).status).toBe(503);
  });
});
