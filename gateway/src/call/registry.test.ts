import { describe, expect, it } from 'vitest';
import { newCall, type Call } from './call.js';
import { CallControl, CallControlError, type CallControlHost, type TransferStart } from './control.js';
import { CallRegistry, summarize } from './registry.js';
import { testPlan } from './testing.js';
import type { EndReason } from './vocabulary.js';

let n = 0;
function make(direction: 'inbound' | 'outbound' = 'inbound', agent = 'echo'): Call {
  const id = `call-${++n}`;
  const plan = testPlan({ route: { agent }, input: { direction, trunk: direction === 'outbound' ? 'carrier' : undefined } });
  return newCall({ id, sipCallId: `${id}@x`, localTag: 't', key: `key-${id}`, plan, remote: { transport: 'udp', address: '127.0.0.1', port: 5060 } });
}

function end(registry: CallRegistry, call: Call, reason: EndReason): void {
  call.state = 'ended';
  call.endReason = reason;
  call.times.endedAt = call.times.createdAt + 5_000;
  registry.remove(call);
}

describe('CallRegistry', () => {
  it('finds live calls by id and by dialog key, lists them with filters, and forgets them at the end', () => {
    const r = new CallRegistry();
    const a = make('inbound');
    const b = make('outbound');
    r.add(a);
    r.add(b);
    expect(r.size).toBe(2);
    expect(r.byDialog(a.key)).toBe(a);
    expect(r.live(b.id)).toBe(b);
    expect(r.list().map((s) => s.id)).toEqual([a.id, b.id]);
    expect(r.list({ direction: 'outbound' }).map((s) => s.id)).toEqual([b.id]);
    expect(r.list({ trunk: 'carrier' }).map((s) => s.id)).toEqual([b.id]);
    expect(r.list({ status: 'queued' })).toHaveLength(2);
    end(r, a, 'remote-bye');
    expect(r.size).toBe(1);
    expect(r.byDialog(a.key)).toBeUndefined();
    expect(r.get(a.id)).toMatchObject({ status: 'canceled', endReason: 'remote-bye', disposition: 'canceled' }); // never answered
  });

  it('rekeys a call whose dialog key changes (an outbound answer brings the far tag)', () => {
    const r = new CallRegistry();
    const c = make('outbound');
    r.add(c);
    r.rekey(c, 'new-key');
    expect(r.byDialog('new-key')).toBe(c);
    expect(r.byDialog(`key-${c.id}`)).toBeUndefined();
  });

  it('summarises a call as the API serves it, statuses following the call', () => {
    const c = make('inbound', 'wss://user:pw@bot.example/agent?token=secret');
    expect(summarize(c)).toMatchObject({
      id: c.id,
      direction: 'inbound',
      status: 'queued',
      from: '+15550199999',
      to: '+15550100001',
      number: '*',
      trunk: null,
      agent: { kind: 'websocket', target: 'wss://bot.example/agent' },
      codec: null,
      ringingAt: null,
      answeredAt: null,
      endedAt: null,
      endReason: null,
      disposition: null,
      sipStatus: null,
    });
    expect(new Date(summarize(c).createdAt).getTime()).toBeCloseTo(c.times.createdAt, -1);
    c.state = 'ringing';
    c.times.ringingAt = c.times.createdAt + 100;
    expect(summarize(c).status).toBe('ringing');
    c.state = 'confirmed';
    c.times.answeredAt = c.times.createdAt + 200;
    c.sipStatus = 200;
    expect(summarize(c)).toMatchObject({ status: 'answered', sipStatus: 200 });
    c.endReason = 'agent-unavailable';
    expect(summarize(c)).toMatchObject({ status: 'failed', disposition: 'failed' });
  });

  it('keeps at most `keepEnded` ended summaries', () => {
    const r = new CallRegistry(2);
    const calls = [make(), make(), make()];
    for (const c of calls) r.add(c);
    for (const c of calls) end(r, c, 'remote-bye');
    expect(calls.map((c) => r.get(c.id) !== undefined)).toEqual([false, true, true]);
  });
});

describe('CallControl', () => {
  const setup = (): { r: CallRegistry; control: CallControl; done: string[]; transferAnswer: { value: TransferStart } } => {
    const r = new CallRegistry();
    const done: string[] = [];
    const transferAnswer: { value: TransferStart } = { value: { ok: true } };
    const host: CallControlHost = {
      hangup: (call, reason) => {
        done.push(`hangup ${call.id} ${reason}`);
        end(r, call, reason);
      },
      transfer: (call, target) => (done.push(`transfer ${call.id} ${target}`), transferAnswer.value),
      sendDtmf: (call, digits, ms) => void done.push(`dtmf ${call.id} ${digits} ${ms}`),
    };
    return { r, control: new CallControl(r, host), done, transferAnswer };
  };

  it('hangs up, transfers and sends DTMF to a live answered call through the host', () => {
    const { r, control, done } = setup();
    const c = make();
    c.state = 'confirmed';
    c.times.answeredAt = c.times.createdAt + 1;
    r.add(c);
    expect(control.list()).toHaveLength(1);
    expect(control.dtmf(c.id, '12#').status).toBe('answered');
    expect(control.transfer(c.id, '+15550100002').id).toBe(c.id);
    expect(control.hangup(c.id)).toMatchObject({ status: 'completed', endReason: 'local-hangup' });
    expect(done).toEqual([`dtmf ${c.id} 12# 100`, `transfer ${c.id} +15550100002`, `hangup ${c.id} local-hangup`]);
    expect(control.get(c.id)?.endReason).toBe('local-hangup');
  });

  it('refuses with stable codes: unknown call, not answered, bad digits, transfer refused, no outbound side', async () => {
    const { r, control, transferAnswer } = setup();
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (err) {
        return err instanceof CallControlError ? err.code : 'other';
      }
      return undefined;
    };
    expect(code(() => control.hangup('nope'))).toBe('CALL_NOT_FOUND');
    const ringing = make();
    r.add(ringing);
    expect(code(() => control.dtmf(ringing.id, '1'))).toBe('CALL_NOT_ANSWERED');
    expect(code(() => control.transfer(ringing.id, '+1'))).toBe('CALL_NOT_ANSWERED');
    ringing.state = 'answered';
    expect(code(() => control.dtmf(ringing.id, '1x'))).toBe('CALL_BAD_DIGITS');
    transferAnswer.value = { ok: false, code: 'DESTINATION_NOT_ALLOWED', message: 'target not allowed' };
    expect(code(() => control.transfer(ringing.id, '+1'))).toBe('CALL_TRANSFER_REFUSED');
    await expect(control.placeCall({ to: '+1', from: '+2', trunk: 'carrier', agent: 'echo' })).rejects.toMatchObject({ code: 'NOT_IMPLEMENTED' });
  });
});
