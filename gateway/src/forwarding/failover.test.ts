import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Call } from '../call/call.js';
import { CallEvents } from '../call/events.js';
import type { ForwardPlan } from '../call/plan.js';
import type { EndReason } from '../call/vocabulary.js';
import { startFailoverChain } from './failover.js';
import type { ForwardOutcome } from './forwarder.js';

const forward: ForwardPlan = { targets: [{ to: '+15551230001', trunk: 'people' }], strategy: 'sequential', ringTimeoutMs: 20_000, when: 'agent-unavailable', fallback: 'apology', onPersonHangup: 'end' };

function setup(outcome: ForwardOutcome, plan: { forward?: ForwardPlan } = { forward }, state: Call['state'] = 'answered') {
  const events = new CallEvents((err) => {
    throw err;
  });
  const steps: string[] = [];
  const ended: EndReason[] = [];
  const call = { id: 'c1', state, plan: { agent: { kind: 'url' }, ...plan } } as unknown as Call;
  startFailoverChain({
    events,
    forwarder: {
      forwardLive: async (c, p) => {
        steps.push(`forward:${c.id}:${p.targets.map((t) => t.to).join(',')}`);
        return outcome;
      },
      forwarding: () => false,
    },
    media: {
      fallback: async (callId, to) => {
        steps.push(`fallback:${callId}:${to}`);
        return true;
      },
    },
    end: (_id, reason) => ended.push(reason),
    logger: pino({ level: 'silent' }),
  });
  events.emit({ type: 'agent-failed', call, cause: 'agent-dropped' });
  return { call, steps, ended, events };
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

describe('the failover chain after an agent failed mid-call', () => {
  it('rings the number\'s people; the one who answers is bridged (the call\'s plan becomes a bridge)', async () => {
    const h = setup({ kind: 'answered', legId: 'leg-1', attempts: [] });
    await settle();
    expect(h.steps).toEqual(['forward:c1:+15551230001']);
    expect(h.call.plan.agent).toEqual({ kind: 'bridge', peer: 'leg-1' });
    expect(h.ended).toEqual([]);
  });

  it('nobody answers: the apology ends the call', async () => {
    const h = setup({ kind: 'failed', allBusy: false, attempts: [] });
    await settle();
    expect(h.steps).toEqual(['forward:c1:+15551230001', 'fallback:c1:apology']);
  });

  it('nobody answers and the forward says reject: the call ends forward-failed', async () => {
    const h = setup({ kind: 'failed', allBusy: true, attempts: [] }, { forward: { ...forward, fallback: 'reject' } });
    await settle();
    expect(h.steps).toEqual(['forward:c1:+15551230001']);
    expect(h.ended).toEqual(['forward-failed']);
  });

  it('no forward when the agent is unavailable (or people ring first only): straight to the apology', async () => {
    const none = setup({ kind: 'failed', allBusy: false, attempts: [] }, {});
    const first = setup({ kind: 'failed', allBusy: false, attempts: [] }, { forward: { ...forward, when: 'first', fallback: 'agent' } });
    await settle();
    expect(none.steps).toEqual(['fallback:c1:apology']);
    expect(first.steps).toEqual(['fallback:c1:apology']);
  });

  it('an agent that failed before the answer: people ring once the call is answered, not before', async () => {
    const h = setup({ kind: 'answered', legId: 'leg-1', attempts: [] }, { forward }, 'ringing');
    await settle();
    expect(h.steps).toEqual([]);
    h.call.state = 'answered';
    h.events.emit({ type: 'answered', call: h.call });
    await settle();
    expect(h.steps).toEqual(['forward:c1:+15551230001']);
  });

  it('a call we placed: no apology ("we cannot take your call"), it is hung up agent-unavailable', async () => {
    const h = setup({ kind: 'failed', allBusy: false, attempts: [] }, { direction: 'outbound' } as never);
    await settle();
    expect(h.steps).toEqual([]);
    expect(h.ended).toEqual(['agent-unavailable']);
  });

  it('a call that ends before its answer: nothing moves on', async () => {
    const h = setup({ kind: 'answered', legId: 'leg-1', attempts: [] }, { forward }, 'ringing');
    h.call.state = 'ended';
    h.events.emit({ type: 'ended', call: h.call, reason: 'cancelled' } as never);
    await settle();
    expect(h.steps).toEqual([]);
  });
});
