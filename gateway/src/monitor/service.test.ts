import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Call } from '../call/call.js';
import { CallControlError, type PlaceCallRequest } from '../call/control.js';
import { CallEvents, type CallEventOf } from '../call/events.js';
import type { CallSummary } from '../call/registry.js';
import type { EndReason } from '../call/vocabulary.js';
import type { MonitorStep } from '../media-plane/plane.js';
import { Monitors } from './service.js';

function setup(o: { attaches?: boolean } = {}) {
  const events = new CallEvents((err) => {
    throw err;
  });
  const placed: PlaceCallRequest[] = [];
  const steps: string[] = [];
  const ended: { id: string; reason: EndReason }[] = [];
  const records: CallEventOf<'monitored'>[] = [];
  events.on('monitored', (e) => void records.push(e));
  const call = { id: 'c1', state: 'confirmed', plan: { from: '+15550001111', pattern: '+1555*' } } as unknown as Call;
  const monitors = new Monitors({
    config: { trunks: [{ name: 'carrier', outbound: {} }] as never },
    events,
    placeCall: async (request) => {
      placed.push(request);
      return { id: `sup-${placed.length}`, endReason: null } as unknown as CallSummary;
    },
    media: {
      monitor: async (callId: string, step: MonitorStep) => {
        steps.push(`${callId} ${step.kind}${'mode' in step ? ` ${step.mode}` : ''}${'leg' in step ? ` ${step.leg}` : ''}${'url' in step ? ' url' : ''}`);
        return o.attaches ?? true;
      },
    },
    end: (id, reason) => void ended.push({ id, reason }),
    logger: pino({ level: 'silent' }),
  });
  const answer = (id: string): void => events.emit({ type: 'answered', call: { id } as Call });
  const end = (id: string): void => events.emit({ type: 'ended', call: { id, state: 'ended' } as Call, reason: 'remote-bye' } as never);
  return { monitors, call, placed, steps, ended, records, answer, end };
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

describe('Monitors', () => {
  it('rings the supervisor next to the call; once they answer the call\'s media feeds them, in the mode asked or switched to', async () => {
    const h = setup();
    expect(await h.monitors.start(h.call, { mode: 'listen', to: '+15551230001', trunk: 'carrier' })).toEqual({ mode: 'listen', state: 'ringing', callId: 'sup-1' });
    expect(h.placed).toEqual([expect.objectContaining({ to: '+15551230001', trunk: 'carrier', ringTimeoutMs: 30_000 })]);
    await h.monitors.setMode(h.call, 'whisper'); // while ringing: only remembered
    expect(h.steps).toEqual([]);
    h.answer('sup-1');
    await settle();
    expect(h.steps).toEqual(['c1 start whisper sup-1']);
    expect(h.monitors.state('c1')).toEqual({ mode: 'whisper', state: 'on', callId: 'sup-1' });
    await h.monitors.setMode(h.call, 'barge');
    expect(h.steps.at(-1)).toBe('c1 mode barge');
    expect(h.records.map((r) => [r.step, r.mode])).toEqual([['ringing', 'listen'], ['mode', 'whisper'], ['on', 'whisper'], ['mode', 'barge']]);
  });

  it('one supervisor at a time; none to change or stop is refused', async () => {
    const h = setup();
    await h.monitors.start(h.call, { mode: 'listen', to: '+15551230001', trunk: 'carrier' });
    await expect(h.monitors.start(h.call, { mode: 'listen', to: '+15551230002', trunk: 'carrier' })).rejects.toMatchObject({ code: 'CALL_MONITOR_REFUSED', detail: 'MONITOR_ACTIVE' });
    const other = { ...h.call, id: 'c2' } as Call;
    await expect(h.monitors.setMode(other, 'barge')).rejects.toMatchObject({ detail: 'MONITOR_NONE' });
    await expect(h.monitors.stop(other)).rejects.toBeInstanceOf(CallControlError);
    await expect(h.monitors.start(h.call, { mode: 'listen', to: '+1', trunk: 'nowhere' }).catch((e: unknown) => e)).resolves.toMatchObject({ code: 'CALL_MONITOR_REFUSED' });
  });

  it('an unknown trunk is TRUNK_UNKNOWN', async () => {
    const h = setup();
    await expect(h.monitors.start(h.call, { mode: 'listen', to: '+1', trunk: 'nowhere' })).rejects.toMatchObject({ code: 'TRUNK_UNKNOWN' });
  });

  it('stop: the tap comes off and the supervisor\'s phone hangs up; the call ending hangs it up too', async () => {
    const h = setup();
    await h.monitors.start(h.call, { mode: 'listen', to: '+15551230001', trunk: 'carrier' });
    h.answer('sup-1');
    await settle();
    await h.monitors.stop(h.call);
    expect(h.steps.at(-1)).toBe('c1 stop');
    expect(h.ended).toEqual([{ id: 'sup-1', reason: 'peer-hangup' }]);
    await h.monitors.start(h.call, { mode: 'barge', to: '+15551230001', trunk: 'carrier' });
    h.end('c1');
    expect(h.ended.at(-1)).toEqual({ id: 'sup-2', reason: 'peer-hangup' });
    expect(h.monitors.state('c1')).toBeUndefined();
  });

  it('the supervisor hangs up: the call goes on without them; a leg that cannot be attached is hung up', async () => {
    const h = setup();
    await h.monitors.start(h.call, { mode: 'listen', to: '+15551230001', trunk: 'carrier' });
    h.answer('sup-1');
    await settle();
    h.end('sup-1');
    expect(h.monitors.state('c1')).toBeUndefined();
    expect(h.records.at(-1)?.step).toBe('off');
    const failing = setup({ attaches: false });
    await failing.monitors.start(failing.call, { mode: 'listen', to: '+15551230001', trunk: 'carrier' });
    failing.answer('sup-1');
    await settle();
    expect(failing.ended).toEqual([{ id: 'sup-1', reason: 'peer-hangup' }]);
  });

  it('a WebSocket supervisor is on at once, or refused MONITOR_UNREACHABLE', async () => {
    const h = setup();
    expect(await h.monitors.start(h.call, { mode: 'whisper', url: 'wss://qa.example/listen' })).toEqual({ mode: 'whisper', state: 'on', callId: null });
    expect(h.steps).toEqual(['c1 start whisper url']);
    const down = setup({ attaches: false });
    await expect(down.monitors.start(down.call, { mode: 'listen', url: 'wss://qa.example/listen' })).rejects.toMatchObject({ detail: 'MONITOR_UNREACHABLE' });
    expect(down.monitors.state('c1')).toBeUndefined();
  });
});
