/**
 * The outbound side against a scripted stack and media plane: the orderings a real carrier rarely produces on cue
 * (a 2xx racing our CANCEL, a lost ACK, an end before any provisional response, a 2xx without SDP).
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import type { AgentConnectReport, MediaPlane } from '../media-plane/plane.js';
import { getHeader, type SipHeader, type SipRequest, type SipResponse } from '../sip/message.js';
import { createResponse } from '../sip/response.js';
import type { ClientTransaction, RemoteInfo } from '../sip/stack.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import { epochNow, type Call, type EndReason } from './call.js';
import { CallEvents } from './events.js';
import { OutboundSide, type OutboundHost } from './outbound.js';
import { CallRegistry } from './registry.js';
import { SdpSession } from './sdp-session.js';

interface ScriptedTx extends ClientTransaction {
  settle(res: SipResponse): void;
}

function harness(connect: AgentConnectReport['outcome'] = 'connected') {
  const config = parseConfig({ trunks: [{ name: 'carrier', outbound: { proxy: { host: '192.0.2.1' }, allow: ['+1555'], callerId: { user: '+15550100001' } } }] }, {});
  const registry = new CallRegistry();
  const events = new CallEvents();
  const sent: { req: SipRequest; tx: ScriptedTx }[] = [];
  const stateless: SipRequest[] = [];
  const stack = {
    sendRequest(req: SipRequest, _target: RemoteInfo): ClientTransaction {
      let settle: (res: SipResponse) => void = () => undefined;
      const response = new Promise<SipResponse>((resolve) => (settle = resolve));
      const tx: ScriptedTx = { request: req, response, settle: (res) => settle(res) };
      sent.push({ req, tx });
      return tx;
    },
    sendStateless(msg: SipRequest | SipResponse): void {
      if (msg.kind === 'request') stateless.push(msg);
    },
    localAddressFor: () => ({ address: '192.0.2.10', port: 5060 }),
  };
  const media = {
    open: () => Promise.resolve({ rtpPort: 30_000 }),
    connect: (): Promise<AgentConnectReport> => Promise.resolve({ startMs: 0, endMs: 0, outcome: connect }),
    answered: () => undefined,
    start: () => undefined,
    close: () => undefined,
  } as unknown as MediaPlane;
  const ended: { id: string; reason: EndReason }[] = [];
  const host: OutboundHost = {
    endCall(call: Call, reason: EndReason) {
      if (call.state === 'ended') return;
      call.state = 'ended';
      call.endReason = reason;
      call.times.endedAt = epochNow();
      registry.remove(call);
      ended.push({ id: call.id, reason });
      events.emit({ type: 'ended', call, reason, sipStatus: call.sipStatus, disposition: 'canceled', durations: { totalMs: 0, ringMs: undefined, talkMs: undefined } });
    },
    hangup(call: Call, reason: EndReason) {
      if (call.dialog) stateless.push({ kind: 'request', method: 'BYE', uri: call.dialog.remoteTarget, headers: [], body: Buffer.alloc(0) });
      this.endCall(call, reason);
    },
    startMedia: () => undefined,
    confirmed: () => undefined,
    contactHeader: (): SipHeader => ({ name: 'Contact', value: '<sip:patchbay@192.0.2.10:5060>' }),
    capabilityHeaders: () => [],
  };
  const side = new OutboundSide({ config, host, registry, events, media, stack, logger: pino({ level: 'silent' }) });
  const place = () => side.placeCall({ to: '+15557654321', from: '', trunk: 'carrier', agent: 'echo' });
  const methods = () => sent.map((s) => s.req.method);
  const invite = async (): Promise<{ req: SipRequest; tx: ScriptedTx }> => {
    await waitFor(() => sent.some((s) => s.req.method === 'INVITE'), 2_000);
    const found = sent.find((s) => s.req.method === 'INVITE');
    if (!found) throw new Error('no INVITE');
    return found;
  };
  const ok = (req: SipRequest, withSdp = true): SipResponse => {
    const answer = withSdp ? new SdpSession({ address: '192.0.2.1', port: 40_000, codecs: ['PCMU'], ptimeMs: 20 }).answer(req.body.toString('utf8')) : undefined;
    return createResponse(req, 200, {
      toTag: 'theirs',
      headers: [{ name: 'Contact', value: '<sip:callee@192.0.2.1:5060>' }],
      ...(answer === undefined ? {} : { body: Buffer.from(answer), contentType: 'application/sdp' }),
    });
  };
  return { registry, sent, stateless, ended, host, place, methods, invite, ok };
}

describe('OutboundSide', () => {
  it('a 2xx that races our CANCEL is ACKed and hung up with BYE; the call stays canceled', async () => {
    const h = harness();
    const call = await h.place();
    const { req, tx } = await h.invite();
    tx.onProvisional?.(createResponse(req, 180, { toTag: 'theirs' }));
    expect(h.registry.get(call.id)?.status).toBe('ringing');
    const live = h.registry.live(call.id);
    if (!live) throw new Error('not live');
    h.host.hangup(live, 'local-hangup');
    expect(h.methods()).toEqual(['INVITE', 'CANCEL']);
    tx.settle(h.ok(req));
    await waitFor(() => h.methods().includes('BYE'), 2_000);
    const ack = h.stateless.find((m) => m.method === 'ACK');
    expect(ack?.uri).toBe('sip:callee@192.0.2.1:5060');
    expect(getHeader(ack ?? req, 'cseq')).toBe('1 ACK');
    expect(h.registry.get(call.id)).toMatchObject({ status: 'canceled', endReason: 'local-hangup' });
  });

  it('sends no CANCEL before a provisional response, and one at the first that comes', async () => {
    const h = harness();
    const call = await h.place();
    const { req, tx } = await h.invite();
    const live = h.registry.live(call.id);
    if (!live) throw new Error('not live');
    h.host.hangup(live, 'local-hangup');
    expect(h.methods()).toEqual(['INVITE']);
    tx.onProvisional?.(createResponse(req, 100)); // any provisional response lets the CANCEL go
    expect(h.methods()).toEqual(['INVITE', 'CANCEL']);
    tx.onProvisional?.(createResponse(req, 180, { toTag: 'theirs' }));
    expect(h.methods()).toEqual(['INVITE', 'CANCEL']); // once
    expect(h.registry.get(call.id)?.status).toBe('canceled'); // an ended call does not ring again
    tx.settle(createResponse(req, 487, { toTag: 'theirs' }));
  });

  it('a leg cancelled because another answered says so (Reason: call completed elsewhere); other CANCELs carry no Reason', async () => {
    for (const [reason, expected] of [['answered-elsewhere', 'SIP;cause=200;text="Call completed elsewhere"'], ['local-hangup', undefined]] as const) {
      const h = harness();
      const call = await h.place();
      const { req, tx } = await h.invite();
      tx.onProvisional?.(createResponse(req, 180, { toTag: 'theirs' }));
      const live = h.registry.live(call.id);
      if (!live) throw new Error('not live');
      h.host.endCall(live, reason);
      const cancel = h.sent.find((s) => s.req.method === 'CANCEL')?.req;
      if (!cancel) throw new Error('no CANCEL');
      expect(getHeader(cancel, 'reason'), reason).toBe(expected);
      expect(getHeader(cancel, 'cseq')).toBe('1 CANCEL');
      tx.settle(createResponse(req, 487, { toTag: 'theirs' }));
    }
  });

  it('answers each retransmitted 2xx with the same ACK (ours was lost)', async () => {
    const h = harness();
    const call = await h.place();
    const { req, tx } = await h.invite();
    const res = h.ok(req);
    tx.settle(res);
    await waitFor(() => h.registry.get(call.id)?.status === 'answered', 2_000);
    tx.onRetransmitted2xx?.(res);
    const acks = h.stateless.filter((m) => m.method === 'ACK');
    expect(acks).toHaveLength(2);
    expect(acks[0]).toBe(acks[1]);
    expect(h.registry.live(call.id)?.key).toContain('theirs'); // rekeyed: the far end's requests find the call
  });

  it('hangs up a 2xx without an SDP answer (bad-answer)', async () => {
    const h = harness();
    const call = await h.place();
    const { req, tx } = await h.invite();
    tx.settle(h.ok(req, false));
    await waitFor(() => h.ended.length > 0, 2_000);
    expect(h.ended).toEqual([{ id: call.id, reason: 'bad-answer' }]);
    expect(h.stateless.map((m) => m.method)).toEqual(['ACK', 'BYE']);
  });

  it('sends nothing when the agent cannot be reached', async () => {
    const h = harness('unreachable');
    const call = await h.place();
    await waitFor(() => h.ended.length > 0, 2_000);
    expect(h.ended).toEqual([{ id: call.id, reason: 'agent-unavailable' }]);
    expect(h.sent).toEqual([]);
  });
});
