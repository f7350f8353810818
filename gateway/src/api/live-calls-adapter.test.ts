import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import type { Call, CallState, EndReason } from '../call/call.js';
import { NO_OBSERVER, type CallObserver } from '../call/call-observer.js';
import { CallControlError } from './call-control.js';
import { agentOf, LiveCallsAdapter } from './live-calls-adapter.js';

const config = parseConfig({
  numbers: { '+1555*': { agent: 'wss://bot.example/agent?token=secret' }, '*': { agent: 'echo' } },
  transfer: { allow: ['+1444'] },
  trunks: [{ name: 'carrier', allow: ['192.0.2.0/24'] }],
});

function fakeCall(id: string, state: CallState = 'admitted', pattern = '+1555*'): Call {
  const route = config.numbers[pattern];
  if (route === undefined) throw new Error(pattern);
  return {
    id,
    sipCallId: `${id}@test`,
    localTag: 't',
    key: id,
    admission: { number: '+15550001111', from: '+14440002222', route, pattern, trunk: 'carrier' },
    remote: { address: '192.0.2.1', port: 5060, transport: 'udp' },
    createdAtMs: 0,
    state,
    rtpPort: undefined,
    sdp: undefined,
    dialog: undefined,
    pendingAnswer: undefined,
    endReason: undefined,
  } as Call;
}

function setup() {
  const hangups: [string, EndReason][] = [];
  const transfers: [string, string][] = [];
  const seen: string[] = [];
  const inner: CallObserver = { ...NO_OBSERVER, admitted: (c) => void seen.push(`admitted ${c.id}`), ended: (c) => void seen.push(`ended ${c.id}`), confirmed: (c) => void seen.push(`confirmed ${c.id}`) };
  let now = Date.parse('2026-01-02T03:04:05.000Z');
  const adapter = new LiveCallsAdapter(config, { hangup: (id, r) => void hangups.push([id, r]), transfer: (id, t) => void transfers.push([id, t]) }, () => new Date(now));
  const observer = adapter.observe(inner);
  return { adapter, observer, hangups, transfers, seen, tick: (ms: number) => (now += ms) };
}

describe('LiveCallsAdapter', () => {
  it('lists the controller\'s live calls from admission to end, telling the inner observer everything', () => {
    const { adapter, observer, seen, tick } = setup();
    const call = fakeCall('c1');
    observer.admitted(call);
    expect(adapter.listCalls({})).toEqual([
      {
        id: 'c1', direction: 'inbound', status: 'ringing', from: '+14440002222', to: '+15550001111', number: '+1555*', trunk: 'carrier',
        agent: { kind: 'url', target: 'wss://bot.example/agent' }, createdAt: '2026-01-02T03:04:05.000Z',
      },
    ]);
    call.state = 'confirmed';
    tick(1500);
    observer.confirmed(call);
    expect(adapter.getCall('c1')).toMatchObject({ status: 'answered', answeredAt: '2026-01-02T03:04:06.500Z' });
    expect(adapter.listCalls({ status: 'answered', trunk: 'carrier', direction: 'inbound' })).toHaveLength(1);
    expect(adapter.listCalls({ direction: 'outbound' })).toEqual([]);
    expect(adapter.listCalls({ number: '+15550001111' })).toHaveLength(1);
    expect(adapter.listCalls({ number: '+1999' })).toEqual([]);
    call.state = 'ended';
    observer.ended(call);
    expect(adapter.listCalls({})).toEqual([]);
    expect(adapter.getCall('c1')).toBeUndefined();
    expect(seen).toEqual(['admitted c1', 'confirmed c1', 'ended c1']);
  });

  it('hangs up answered calls through the controller; unknown ids are CALL_NOT_FOUND', async () => {
    const { adapter, observer, hangups } = setup();
    const call = fakeCall('c1');
    observer.admitted(call);
    await expect(adapter.hangup('c1')).rejects.toMatchObject({ code: 'CALL_NOT_ANSWERED' }); // its INVITE would go unanswered
    expect(hangups).toEqual([]);
    call.state = 'answered';
    await adapter.hangup('c1');
    expect(hangups).toEqual([['c1', 'local-hangup']]);
    await expect(adapter.hangup('nope')).rejects.toMatchObject({ code: 'CALL_NOT_FOUND' });
  });

  it('transfers answered calls to allowed targets only, checked before the controller sees them', async () => {
    const { adapter, observer, transfers } = setup();
    const call = fakeCall('c1');
    observer.admitted(call);
    await expect(adapter.transfer('c1', '+14445550000')).rejects.toMatchObject({ code: 'CALL_NOT_ANSWERED' });
    call.state = 'confirmed';
    await expect(adapter.transfer('c1', '+19005550000')).rejects.toMatchObject({ code: 'DESTINATION_NOT_ALLOWED' });
    await expect(adapter.transfer('c1', '*72+14445550000')).rejects.toMatchObject({ code: 'DESTINATION_NOT_ALLOWED' });
    await adapter.transfer('c1', '+14445550000');
    expect(transfers).toEqual([['c1', '+14445550000']]);
  });

  it('answers NOT_IMPLEMENTED for what the inbound-only core cannot do', async () => {
    const { adapter, observer } = setup();
    const call = fakeCall('c1', 'confirmed');
    observer.admitted(call);
    await expect(adapter.placeCall()).rejects.toBeInstanceOf(CallControlError);
    await expect(adapter.placeCall()).rejects.toMatchObject({ code: 'NOT_IMPLEMENTED' });
    await expect(adapter.sendDtmf('c1')).rejects.toMatchObject({ code: 'NOT_IMPLEMENTED' });
    await expect(adapter.sendDtmf('nope')).rejects.toMatchObject({ code: 'CALL_NOT_FOUND' });
    expect(adapter.listTrunks()).toEqual([{ name: 'carrier', registration: { state: 'none' } }]);
  });
});

describe('agentOf', () => {
  it('names built-ins, adapters, and URLs without query or credentials', () => {
    expect(agentOf('demo')).toEqual({ kind: 'builtin', target: 'demo' });
    expect(agentOf({ adapter: 'openai-realtime' })).toEqual({ kind: 'adapter', target: 'openai-realtime' });
    expect(agentOf('wss://user:pw@bot.example:8443/a?key=secret#x')).toEqual({ kind: 'url', target: 'wss://bot.example:8443/a' });
  });
});
