/**
 * Issue 12 §1: the call core over real SIP. The lifecycle stream tells each step of a live inbound call, a subscriber
 * that throws at every event does not disturb the call, and the control API (what REST serves) lists the call,
 * sends DTMF to the caller (RFC 4733 packets on the wire) and hangs it up (a BYE reaches the caller).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallEvent } from '../../src/call/events.js';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { SipCaller } from '../helpers/sip-caller.js';

let gw: TestGateway;
const seen: string[] = [];

beforeAll(async () => {
  gw = await startTestGateway({ numbers: { '*': { agent: 'echo' } } });
  const types: CallEvent['type'][] = ['created', 'ringing', 'agent-connect', 'answered', 'confirmed', 'refused', 'transferred', 'ended'];
  for (const type of types) {
    gw.gateway.events.on(type, () => {
      throw new Error(`subscriber fails at ${type}`);
    });
    gw.gateway.events.on(type, (e) => void seen.push(e.type === 'ended' ? `ended:${e.reason}:${e.disposition}` : e.type));
  }
});

afterAll(async () => {
  await gw.close();
});

describe('the call core, driven from outside', () => {
  it('tells each step of a call, however its subscribers fail; lists it, sends DTMF to the caller, hangs it up', async () => {
    const caller = await SipCaller.call({ host: gw.host, port: gw.sipPort, to: '1000' });
    try {
      await waitFor(() => seen.includes('confirmed'), 3_000, () => `events: ${seen.join(', ')}`);
      expect(seen).toEqual(['created', 'agent-connect', 'answered', 'confirmed']);
      const [live, ...others] = gw.gateway.calls.list();
      expect(others).toEqual([]);
      expect(live).toMatchObject({ direction: 'inbound', status: 'answered', number: '*', agent: { kind: 'echo', target: 'echo' }, codec: 'PCMU', sipStatus: 200, endedAt: null });
      if (!live) throw new Error('no live call');
      expect(gw.gateway.calls.list({ direction: 'outbound' })).toEqual([]);

      const before = caller.received.filter((p) => p.payloadType === 101).length;
      gw.gateway.calls.dtmf(live.id, '5');
      await waitFor(() => caller.received.filter((p) => p.payloadType === 101).length > before, 3_000, () => 'no RFC 4733 packet reached the caller');

      const ended = gw.gateway.calls.hangup(live.id);
      expect(ended).toMatchObject({ status: 'completed', endReason: 'local-hangup', disposition: 'completed' });
      await caller.byeReceived;
      await gw.waitForIdle(3_000);
      expect(seen.at(-1)).toBe('ended:local-hangup:completed');
      expect(gw.gateway.calls.get(live.id)?.endedAt).not.toBeNull();
      expect((await gw.gateway.stats()).endReasons['local-hangup']).toBe(1);
    } finally {
      caller.close();
    }
  });
});
