import type { GatewayMessage } from '@patchbay/agents';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Call } from '../call/call.js';
import { CallEvents, type CallEventOf } from '../call/events.js';
import type { ForwardPlan } from '../call/plan.js';
import type { EndReason } from '../call/vocabulary.js';
import type { ConsultStep, WarmTransferCommand } from '../media-plane/plane.js';
import { DestinationPolicy } from '../routing/index.js';
import type { ForwardOutcome } from './forwarder.js';
import { WarmTransfers } from './warm.js';

const PERSON = '+15551230001';

/** Warm transfers over fakes: the test decides how dialling ends; the fake plane and ends are recorded. */
function setup(o: { dial?: () => Promise<ForwardOutcome>; consultOk?: boolean; trunk?: string; state?: Call['state'] } = {}) {
  const events = new CallEvents((err) => {
    throw err;
  });
  const told: GatewayMessage[] = [];
  const steps: string[] = [];
  const ended: { id: string; reason: EndReason }[] = [];
  const dialled: ForwardPlan[] = [];
  const records: CallEventOf<'consulted'>[] = [];
  events.on('consulted', (e) => void records.push(e));
  const call = { id: 'caller', state: o.state ?? 'confirmed', plan: { agent: { kind: 'url' }, trunk: o.trunk ?? 'carrier', transfer: { allow: ['+1555'] } } } as unknown as Call;
  new WarmTransfers({
    config: { trunks: [{ name: 'carrier', outbound: {} }, { name: 'inbound-only' }] as never },
    events,
    destinations: () => new DestinationPolicy({ allow: ['+1555'] }),
    forwarder: {
      dial: async (_c, plan) => {
        dialled.push(plan);
        return (o.dial ?? (async () => ({ kind: 'answered', legId: 'leg-1', attempts: [] })))();
      },
      bridge: async (a, b) => {
        steps.push(`join ${a.id} ${b}`);
        return true;
      },
      forwarding: () => false,
    },
    media: {
      consult: async (callId: string, step: ConsultStep) => {
        steps.push(`${step.kind} ${callId}${step.kind === 'start' ? ` ${step.leg}` : ''}${step.kind === 'complete' && step.listen === true ? ' listening' : ''}`);
        return o.consultOk ?? true;
      },
      tellAgent: (_id, msg) => void told.push(msg),
    },
    end: (id, reason) => void ended.push({ id, reason }),
    logger: pino({ level: 'silent' }),
  });
  const command = (msg: WarmTransferCommand): void => events.emit({ type: 'warm-transfer', call, msg });
  const end = (id: string, reason: EndReason = 'remote-bye'): void => events.emit({ type: 'ended', call: { ...call, id, state: 'ended' }, reason } as never);
  return { call, told, steps, ended, dialled, records, command, end };
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 0));
const statuses = (told: GatewayMessage[]): string[] => told.map((m) => (m.type === 'consult' ? `${m.status}${m.reason ? `:${m.reason}` : ''}` : m.type));

describe('warm transfer', () => {
  it('consult → dialling, answered (whisper echoed, agent moved to the person) → bridge joins caller and person', async () => {
    const h = setup();
    h.command({ type: 'consult', target: PERSON, whisper: 'Anna, damaged parcel' });
    await settle();
    expect(h.dialled[0]).toMatchObject({ targets: [{ to: PERSON, trunk: 'carrier' }], strategy: 'sequential', ringTimeoutMs: 30_000 });
    expect(h.steps).toEqual(['start caller leg-1']);
    expect(h.told).toEqual([
      { type: 'consult', status: 'dialling', target: PERSON },
      { type: 'consult', status: 'answered', target: PERSON, whisper: 'Anna, damaged parcel' },
    ]);
    h.command({ type: 'bridge' });
    await settle();
    expect(h.steps).toEqual(['start caller leg-1', 'complete caller', 'join caller leg-1']);
    expect(h.call.plan.agent).toEqual({ kind: 'bridge', peer: 'leg-1' });
    expect(h.records.map((r) => r.status)).toEqual(['dialling', 'answered', 'bridged']);
  });

  it('the consulting agent leaves (its socket dropped) with the person on the line: the person takes the caller; before an answer, the call ends agent-gone', async () => {
    const h = setup();
    h.command({ type: 'consult', target: PERSON });
    await settle();
    h.command({ type: 'agent_left', reason: 'agent_dropped' });
    await settle();
    expect(h.steps).toEqual(['start caller leg-1', 'complete caller', 'join caller leg-1']);
    expect(h.call.plan.agent).toEqual({ kind: 'bridge', peer: 'leg-1' });
    expect(h.records.at(-1)).toMatchObject({ status: 'bridged', reason: 'agent-left', legId: 'leg-1' });
    expect(h.ended).toEqual([]);

    const none = setup();
    none.command({ type: 'agent_left', reason: 'agent_dropped' });
    await settle();
    expect(none.ended).toEqual([{ id: 'caller', reason: 'agent-gone' }]);
  });

  it('bridge{listen: true}: the agent stays, told bridged; the plane is asked to keep it listening', async () => {
    const h = setup();
    h.command({ type: 'consult', target: PERSON });
    await settle();
    h.command({ type: 'bridge', listen: true });
    await settle();
    expect(h.steps).toEqual(['start caller leg-1', 'complete caller listening', 'join caller leg-1']);
    expect(statuses(h.told)).toEqual(['dialling', 'answered', 'bridged']);
    expect(h.records.at(-1)).toMatchObject({ status: 'bridged', reason: 'listening' });
  });

  it('nobody answers: failed with the leg\'s end reason; the agent stays with the caller', async () => {
    const h = setup({ dial: async () => ({ kind: 'failed', allBusy: true, attempts: [{ to: PERSON, trunk: 'carrier', outcome: 'busy', atMs: 0 }] }) });
    h.command({ type: 'consult', target: PERSON });
    await settle();
    expect(statuses(h.told)).toEqual(['dialling', 'failed:busy']);
    expect(h.steps).toEqual([]);
  });

  it('refuses at once: a target outside the transfer lists, a trunk that cannot call out, an unanswered call, a second consult', async () => {
    const denied = setup();
    denied.command({ type: 'consult', target: '+4930123456' });
    const noTrunk = setup({ trunk: 'inbound-only' });
    noTrunk.command({ type: 'consult', target: PERSON });
    const ringing = setup({ state: 'ringing' });
    ringing.command({ type: 'consult', target: PERSON });
    const twice = setup({ dial: () => new Promise(() => undefined) });
    twice.command({ type: 'consult', target: PERSON });
    twice.command({ type: 'consult', target: PERSON });
    await settle();
    for (const h of [denied, noTrunk, ringing]) {
      expect(statuses(h.told)).toEqual(['failed:refused']);
      expect(h.dialled).toEqual([]);
    }
    expect(statuses(twice.told)).toEqual(['dialling', 'failed:refused']);
    expect(twice.dialled).toHaveLength(1);
  });

  it('cancel_consult while consulting: the agent comes back, the person\'s leg ends consult-cancelled', async () => {
    const h = setup();
    h.command({ type: 'consult', target: PERSON });
    await settle();
    h.command({ type: 'cancel_consult' });
    await settle();
    expect(h.steps).toEqual(['start caller leg-1', 'end caller']);
    expect(h.ended).toEqual([{ id: 'leg-1', reason: 'consult-cancelled' }]);
    expect(statuses(h.told)).toEqual(['dialling', 'answered', 'cancelled']);
  });

  it('cancel_consult while the phone rings: told at once; the leg is dropped when it answers, never consulted', async () => {
    let answer!: (o: ForwardOutcome) => void;
    const h = setup({ dial: () => new Promise((r) => (answer = r)) });
    h.command({ type: 'consult', target: PERSON });
    await settle();
    h.command({ type: 'cancel_consult' });
    await settle();
    expect(statuses(h.told)).toEqual(['dialling', 'cancelled']);
    answer({ kind: 'answered', legId: 'leg-1', attempts: [] });
    await settle();
    expect(h.steps).toEqual([]);
    expect(h.ended).toEqual([{ id: 'leg-1', reason: 'consult-cancelled' }]);
  });

  it('the person hangs up during the consultation: the agent is told ended; the caller hangs up: the person\'s leg ends', async () => {
    const person = setup();
    person.command({ type: 'consult', target: PERSON });
    await settle();
    person.end('leg-1');
    expect(statuses(person.told)).toEqual(['dialling', 'answered', 'ended']);
    person.command({ type: 'bridge' }); // nothing to bridge any more
    await settle();
    expect(person.told.at(-1)).toMatchObject({ type: 'error', code: 'bad_message' });

    const caller = setup();
    caller.command({ type: 'consult', target: PERSON });
    await settle();
    caller.end('caller');
    expect(caller.ended).toEqual([{ id: 'leg-1', reason: 'peer-hangup' }]);
  });

  it('the person answers but the plane cannot consult (a worker died): failed, and the person is not left on a dead line', async () => {
    const h = setup({ consultOk: false });
    h.command({ type: 'consult', target: PERSON });
    await settle();
    expect(statuses(h.told)).toEqual(['dialling', 'failed:failed']);
    expect(h.ended).toEqual([{ id: 'leg-1', reason: 'peer-hangup' }]);
  });
});
