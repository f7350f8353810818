import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Call } from '../call/call.js';
import { CallEvents, type CallEventOf } from '../call/events.js';
import type { PlaceCallRequest } from '../call/control.js';
import type { BridgeLeg } from '../call/outbound.js';
import { bridgedPlan, type CallPlan, type ForwardPlan } from '../call/plan.js';
import type { CallSummary } from '../call/registry.js';
import type { EndReason } from '../call/vocabulary.js';
import type { TakeBackOutcome } from '../media-plane/plane.js';
import { Forwarder } from './forwarder.js';

/** A forwarder over a fake outbound side: the test answers and ends legs through the lifecycle events. */
function setup(options: { refuse?: (to: string) => string | undefined; joinFails?: boolean; handOver?: () => Promise<boolean>; takeBack?: (callId: string, plan: CallPlan) => Promise<TakeBackOutcome> } = {}) {
  const events = new CallEvents((err) => {
    throw err;
  });
  const placed: { request: PlaceCallRequest; leg: BridgeLeg; id: string }[] = [];
  const ended: { id: string; reason: EndReason }[] = [];
  const joined: [string, string][] = [];
  const told: { callId: string; msg: unknown }[] = [];
  const unbridged: CallEventOf<'unbridged'>[] = [];
  events.on('unbridged', (e) => void unbridged.push(e));
  const calls = new Map<string, Call>();
  const call = (id: string): Call => {
    let c = calls.get(id);
    if (c === undefined) calls.set(id, (c = { id, state: 'ringing', plan: { from: '+15550001111', pattern: '+1555*' } } as unknown as Call));
    return c;
  };
  const end = (id: string, reason: EndReason): void => {
    const c = call(id);
    if (c.state === 'ended') return;
    c.state = 'ended';
    ended.push({ id, reason });
    events.emit({ type: 'ended', call: c, reason } as never);
  };
  const forwarder = new Forwarder({
    events,
    placeCall: async (request, leg) => {
      const code = options.refuse?.(request.to);
      if (code !== undefined) throw Object.assign(new Error('refused'), { code });
      const id = `leg-${placed.length + 1}`;
      placed.push({ request, leg, id });
      call(id);
      return { id, endReason: null } as unknown as CallSummary;
    },
    end,
    join: async (a, b) => {
      if (options.joinFails === true) throw new Error('the media worker is gone');
      joined.push([a, b]);
      return true;
    },
    handOver: options.handOver ?? (async () => true),
    tellAgent: (callId, msg) => told.push({ callId, msg }),
    takeBack: options.takeBack,
    logger: pino({ level: 'silent' }),
  });
  const answer = (id: string): void => {
    call(id).state = 'answered';
    events.emit({ type: 'answered', call: call(id) });
  };
  const caller = call('caller');
  /** The caller's one person (`leg`) rings, answers and is bridged with it. */
  const bridgedWith = async (leg: string): Promise<boolean> => {
    const outcome = forwarder.dial(caller, plan('sequential', 1));
    await tick();
    answer(leg);
    await outcome;
    return forwarder.bridge(caller, leg);
  };
  return { forwarder, placed, ended, joined, told, answer, end, caller, unbridged, bridgedWith };
}

const plan = (strategy: ForwardPlan['strategy'], n = 3): ForwardPlan => ({
  targets: Array.from({ length: n }, (_, i) => ({ to: `+1555000000${i + 1}`, trunk: 't' })),
  strategy,
  ringTimeoutMs: 20_000,
  when: 'first',
  fallback: 'reject',
  onPersonHangup: 'end',
});

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('Forwarder', () => {
  it('sequential: rings one person at a time, moves on when a leg ends, and stops at the first answer', async () => {
    const t = setup();
    const outcome = t.forwarder.dial(t.caller, plan('sequential'));
    await tick();
    expect(t.placed.map((p) => p.request.to)).toEqual(['+15550000001']);
    expect(t.placed[0]).toMatchObject({ request: { trunk: 't', ringTimeoutMs: 20_000, from: '+15550001111' }, leg: { peer: 'caller', pattern: '+1555*' } });
    t.end('leg-1', 'no-answer');
    await tick();
    expect(t.placed.map((p) => p.request.to)).toEqual(['+15550000001', '+15550000002']);
    t.answer('leg-2');
    await expect(outcome).resolves.toMatchObject({
      kind: 'answered',
      legId: 'leg-2',
      attempts: [{ to: '+15550000001', callId: 'leg-1', outcome: 'no-answer' }, { to: '+15550000002', callId: 'leg-2', outcome: 'answered' }],
    });
    expect(t.placed).toHaveLength(2); // the third was never rung
  });

  it('simultaneous: rings everyone; the first answer wins and the others are cancelled as answered elsewhere', async () => {
    const t = setup();
    const outcome = t.forwarder.dial(t.caller, plan('simultaneous'));
    await tick();
    expect(t.placed.map((p) => p.id)).toEqual(['leg-1', 'leg-2', 'leg-3']);
    t.end('leg-1', 'busy');
    t.answer('leg-3');
    const result = await outcome;
    expect(result).toMatchObject({ kind: 'answered', legId: 'leg-3' });
    expect(t.ended).toEqual([{ id: 'leg-1', reason: 'busy' }, { id: 'leg-2', reason: 'answered-elsewhere' }]);
    expect(result.attempts.map((a) => [a.callId, a.outcome])).toEqual([['leg-1', 'busy'], ['leg-3', 'answered'], ['leg-2', 'answered-elsewhere']]);
  });

  it('nobody answers: failed, and allBusy only when every leg that rang was busy', async () => {
    const busy = setup({ refuse: (to) => (to.endsWith('3') ? 'TRUNK_BUSY' : undefined) });
    const o1 = busy.forwarder.dial(busy.caller, plan('simultaneous'));
    await tick();
    busy.end('leg-1', 'busy');
    busy.end('leg-2', 'busy');
    await expect(o1).resolves.toMatchObject({ kind: 'failed', allBusy: true });
    expect((await o1).attempts).toContainEqual({ to: '+15550000003', trunk: 't', outcome: 'refused', code: 'TRUNK_BUSY', atMs: expect.any(Number) });

    const mixed = setup();
    const o2 = mixed.forwarder.dial(mixed.caller, plan('sequential', 2));
    await tick();
    mixed.end('leg-1', 'busy');
    await tick();
    mixed.end('leg-2', 'no-answer');
    await expect(o2).resolves.toMatchObject({ kind: 'failed', allBusy: false });
  });

  it('the caller hangs up while people ring: every ringing leg is cancelled', async () => {
    const t = setup();
    const outcome = t.forwarder.dial(t.caller, plan('simultaneous', 2));
    await tick();
    t.end('caller', 'cancelled');
    await expect(outcome).resolves.toMatchObject({ kind: 'cancelled' });
    expect(t.ended).toEqual([{ id: 'caller', reason: 'cancelled' }, { id: 'leg-1', reason: 'peer-hangup' }, { id: 'leg-2', reason: 'peer-hangup' }]);
  });

  it('bridged: joins the two calls, and either one ending ends the other (peer-hangup)', async () => {
    const t = setup();
    await expect(t.bridgedWith('leg-1')).resolves.toBe(true);
    expect(t.joined).toEqual([['caller', 'leg-1']]);
    t.end('leg-1', 'remote-bye');
    expect(t.ended).toEqual([{ id: 'leg-1', reason: 'remote-bye' }, { id: 'caller', reason: 'peer-hangup' }]);
  });

  it('onPersonHangup agent: the person hanging up gives the caller its agent back (the plan before the bridge); the caller hanging up still ends the person', async () => {
    const asked: { callId: string; plan: CallPlan }[] = [];
    const t = setup({ takeBack: async (callId, plan) => (asked.push({ callId, plan }), 'agent' as const) });
    const agentPlan = { from: '+15550001111', pattern: '+1555*', agent: { kind: 'url', url: 'ws://agent', protocol: 'patchbay' }, bargeIn: 'vad', onAgentFailure: 'apology', failover: { redial: 1, earlyHangupMs: 2_000, silenceMs: 15_000 } } as unknown as CallPlan;
    t.caller.state = 'answered';
    t.caller.plan = bridgedPlan(agentPlan, undefined, 'agent');
    await expect(t.bridgedWith('leg-1')).resolves.toBe(true);
    t.end('leg-1', 'remote-bye');
    await tick();
    expect(t.ended).toEqual([{ id: 'leg-1', reason: 'remote-bye' }]); // the caller goes on
    expect(asked).toEqual([{ callId: 'caller', plan: expect.objectContaining({ agent: { kind: 'url', url: 'ws://agent', protocol: 'patchbay' }, bargeIn: 'vad', failover: { redial: 1, earlyHangupMs: 2_000, silenceMs: 15_000 } }) }]);
    expect(asked[0]?.plan.beforeBridge).toBeUndefined();
    expect(t.caller.plan.agent.kind).toBe('url');
    expect(t.unbridged).toMatchObject([{ legId: 'leg-1', outcome: 'agent' }]);

    // Forwarded again, and this time the caller hangs up first: the person's leg ends with it.
    t.caller.plan = bridgedPlan(t.caller.plan, undefined, 'agent');
    await t.bridgedWith('leg-2');
    t.end('caller', 'remote-bye');
    expect(t.ended.slice(1)).toEqual([{ id: 'caller', reason: 'remote-bye' }, { id: 'leg-2', reason: 'peer-hangup' }]);
    expect(asked).toHaveLength(1);
  });

  it('onPersonHangup agent, but the agent cannot be reached (or throws): the caller ends peer-hangup, as with end', async () => {
    for (const takeBack of [async (): Promise<TakeBackOutcome> => 'none', (): Promise<TakeBackOutcome> => Promise.reject(new Error('the media worker is gone'))]) {
      const t = setup({ takeBack });
      t.caller.state = 'answered';
      t.caller.plan = bridgedPlan({ agent: { kind: 'builtin', name: 'demo' } } as unknown as CallPlan, undefined, 'agent');
      await t.bridgedWith('leg-1');
      t.end('leg-1', 'remote-bye');
      await tick();
      expect(t.ended).toEqual([{ id: 'leg-1', reason: 'remote-bye' }, { id: 'caller', reason: 'peer-hangup' }]);
      expect(t.unbridged).toMatchObject([{ legId: 'leg-1', outcome: 'ended' }]);
      expect(t.caller.plan.agent.kind).toBe('bridge');
    }
  });

  it('onPersonHangup agent, the agent unreachable and the number apologises: the apology takes the caller (the call is not ended here)', async () => {
    const t = setup({ takeBack: async () => 'apology' });
    t.caller.state = 'answered';
    t.caller.plan = bridgedPlan({ agent: { kind: 'builtin', name: 'demo' }, onAgentFailure: 'apology' } as unknown as CallPlan, undefined, 'agent');
    await t.bridgedWith('leg-1');
    t.end('leg-1', 'remote-bye');
    await tick();
    expect(t.ended).toEqual([{ id: 'leg-1', reason: 'remote-bye' }]);
    expect(t.unbridged).toMatchObject([{ legId: 'leg-1', outcome: 'apology' }]);
    expect(t.caller.plan.agent).toEqual({ kind: 'builtin', name: 'demo' });
  });

  it('onPersonHangup end (the default), or a caller with no agent to go back to: either hang-up ends both', async () => {
    const asked: string[] = [];
    const t = setup({ takeBack: async (callId) => (asked.push(callId), 'agent' as const) });
    t.caller.state = 'answered';
    t.caller.plan = bridgedPlan({ agent: { kind: 'builtin', name: 'demo' } } as unknown as CallPlan, undefined);
    await t.bridgedWith('leg-1');
    t.end('leg-1', 'remote-bye');
    expect(t.ended).toEqual([{ id: 'leg-1', reason: 'remote-bye' }, { id: 'caller', reason: 'peer-hangup' }]);
    expect(asked).toEqual([]);
  });

  it('a leg that hangs up before its caller is bridged is not joined', async () => {
    const t = setup();
    const outcome = t.forwarder.dial(t.caller, plan('sequential', 1));
    await tick();
    t.answer('leg-1');
    await outcome;
    t.end('leg-1', 'remote-bye');
    await expect(t.forwarder.bridge(t.caller, 'leg-1')).resolves.toBe(false);
    expect(t.joined).toEqual([]);
  });

  it('live: the person who answers takes over; nobody answering tells the agent transfer_failed', async () => {
    const t = setup();
    const live = t.forwarder.forwardLive(t.caller, plan('sequential', 1));
    await tick();
    expect(t.forwarder.forwarding('caller')).toBe(true);
    t.answer('leg-1');
    await expect(live).resolves.toMatchObject({ kind: 'answered', legId: 'leg-1' });
    expect(t.joined).toEqual([['caller', 'leg-1']]);
    expect(t.forwarder.forwarding('caller')).toBe(false);

    const n = setup();
    const none = n.forwarder.forwardLive(n.caller, plan('sequential', 1));
    await tick();
    n.end('leg-1', 'no-answer');
    await expect(none).resolves.toMatchObject({ kind: 'failed' });
    expect(n.told).toEqual([{ callId: 'caller', msg: { type: 'error', code: 'transfer_failed', message: 'forward: nobody answered' } }]);
  });

  it('live: a hand-over or a join that fails (a dead media worker) ends the person\'s leg instead of leaving it on a dead line', async () => {
    for (const t of [setup({ joinFails: true }), setup({ handOver: () => Promise.reject(new Error('the media worker is gone')) })]) {
      const live = t.forwarder.forwardLive(t.caller, plan('sequential', 1));
      await tick();
      t.answer('leg-1');
      await expect(live).resolves.toMatchObject({ kind: 'failed' });
      expect(t.ended).toContainEqual({ id: 'leg-1', reason: 'peer-hangup' });
    }
  });
});
