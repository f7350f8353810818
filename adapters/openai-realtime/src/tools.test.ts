/** The telephony tools against the fake Realtime server: end_call, transfer_call, send_dtmf, and refused calls. */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeRealtimeServer, until, type FakeCall, type ResponseScript } from './testing/index.js';
import { nextEvent, nextMessage, placeCall } from './testing/adapter-harness.js';
import { parseToolCall } from './tools.js';
import { realtimeOptions } from './options.js';

const servers: FakeRealtimeServer[] = [];
const calls: FakeCall[] = [];

afterEach(async () => {
  for (const call of calls.splice(0)) call.close();
  for (const server of servers.splice(0)) await server.close();
});

/** A call whose greeting response is `first`; later responses say nothing. */
async function setup(first: ResponseScript, options: Parameters<typeof placeCall>[1] = {}) {
  const fake = await FakeRealtimeServer.start({ realtimeFactor: Number.POSITIVE_INFINITY, script: (r) => (r.index === 0 ? first(r) : []) });
  servers.push(fake);
  const h = await placeCall(fake, { greeting: 'Hello.', ...options });
  calls.push(h.call);
  return h;
}

function outputs(session: { eventsOf(type: string): Record<string, unknown>[] }): { call_id: unknown; output: unknown }[] {
  return session
    .eventsOf('conversation.item.create')
    .map((e) => e['item'] as { type: string; call_id?: unknown; output?: unknown })
    .filter((i) => i.type === 'function_call_output')
    .map((i) => ({ call_id: i.call_id, output: JSON.parse(String(i.output)) as unknown }));
}

describe('tools', () => {
  it('end_call: the goodbye plays first; hangup{end_call} once its mark comes back played', async () => {
    const { call, session } = await setup(() => [
      { type: 'audio', ms: 800, transcript: 'Goodbye!' },
      { type: 'function_call', name: 'end_call', arguments: { reason: 'caller is done' } },
    ]);
    const mark = await nextMessage(call, 'mark', (m) => m.name.startsWith('end_call-'));
    expect(call.receivedMs).toBe(800);
    expect(call.messagesOf('hangup')).toEqual([]); // not before the goodbye has played
    const fnCall = session.responses[0]?.items.find((i) => i.type === 'function_call');
    await until(() => outputs(session).length === 1, 2_000);
    expect(outputs(session)[0]).toMatchObject({ output: { ok: true } });
    expect(typeof outputs(session)[0]?.call_id).toBe('string');
    expect(fnCall).toBeDefined();
    call.send({ type: 'mark', name: 'response-1', status: 'played', playedMs: 800 });
    call.send({ type: 'mark', name: mark.name, status: 'played', playedMs: 800 });
    const playedAt = performance.now();
    // A short grace after the last packet left (the phone's jitter buffer), then the hang-up.
    expect(await nextMessage(call, 'hangup')).toEqual({ type: 'hangup', reason: 'end_call' });
    expect(performance.now() - playedAt).toBeGreaterThanOrEqual(150);
    expect(call.messagesOf('hangup')).toHaveLength(1);
    expect(session.eventsOf('response.create')).toHaveLength(1); // only the greeting: nothing more to say
  });

  it('end_call: hangs up after maxGoodbyeMs when the mark never comes back', async () => {
    const { call } = await setup(() => [{ type: 'audio', ms: 100 }, { type: 'function_call', name: 'end_call', arguments: {} }], { maxGoodbyeMs: 200 });
    await nextMessage(call, 'mark', (m) => m.name.startsWith('end_call-'));
    const markedAt = performance.now();
    await nextMessage(call, 'hangup');
    expect(performance.now() - markedAt).toBeGreaterThanOrEqual(150);
  });

  it('end_call whose goodbye the caller interrupts (mark cleared) hangs up at once', async () => {
    const { call } = await setup(() => [{ type: 'audio', ms: 800 }, { type: 'function_call', name: 'end_call', arguments: {} }]);
    const mark = await nextMessage(call, 'mark', (m) => m.name.startsWith('end_call-'));
    call.send({ type: 'mark', name: mark.name, status: 'cleared', playedMs: 300 });
    expect(call.messagesOf('hangup')).toEqual([{ type: 'hangup', reason: 'end_call' }]);
  });

  it('end_call with no audio pending hangs up at once', async () => {
    const { call } = await setup(() => [{ type: 'function_call', name: 'end_call', arguments: '' }]);
    expect(await nextMessage(call, 'hangup')).toEqual({ type: 'hangup', reason: 'end_call' });
    expect(call.messagesOf('mark')).toEqual([]);
  });

  it('transfer_call{target: name} → transfer to the mapped number; transfer_failed → the model is told and answers', async () => {
    const { call, session } = await setup(() => [{ type: 'function_call', name: 'transfer_call', arguments: { target: 'sales' } }], {
      transferTargets: { sales: '+15550109999', desk: 'sip:desk@pbx.example' },
    });
    expect(await nextMessage(call, 'transfer')).toEqual({ type: 'transfer', target: '+15550109999' });
    await until(() => outputs(session).length === 1, 2_000);
    expect(outputs(session)[0]?.output).toMatchObject({ ok: true });
    call.send({ type: 'error', code: 'transfer_failed', message: 'REFER answered 603' });
    await until(() => session.eventsOf('response.create').length === 2, 2_000);
    const told = session.eventsOf('conversation.item.create').at(-1)?.['item'] as { role: string; content: { text: string }[] };
    expect(told.role).toBe('system');
    expect(told.content[0]?.text).toContain('transfer to sales failed');
    expect(call.messagesOf('hangup')).toEqual([]);
  });

  it('warm_transfer{target, summary}: consult after the "please hold" plays; on answered the model introduces the caller, then bridge', async () => {
    const fake = await FakeRealtimeServer.start({
      realtimeFactor: Number.POSITIVE_INFINITY,
      // 0: "please hold" and the tool call; 1: the introduction to the person.
      script: (r) => (r.index === 0 ? [{ type: 'audio', ms: 400 }, { type: 'function_call', name: 'warm_transfer', arguments: { target: 'sales', summary: 'Anna Lee, a damaged parcel.' } }] : r.index === 1 ? [{ type: 'audio', ms: 600 }] : []),
    });
    servers.push(fake);
    const { call, session } = await placeCall(fake, { greeting: 'Connect the caller to sales.', transferTargets: { sales: '+15550109999' } });
    calls.push(call);
    const definition = (await nextEvent(session, 'session.update'))['session'] as { tools: { name: string }[] };
    expect(definition.tools.map((t) => t.name)).toContain('warm_transfer');
    // The "please hold" audio's mark must come back played before the consult goes out.
    const hold = await nextMessage(call, 'mark', (m) => m.name.startsWith('warm_transfer-'));
    expect(call.messagesOf('consult')).toEqual([]);
    call.send({ type: 'mark', name: hold.name, status: 'played', playedMs: 400 });
    expect(await nextMessage(call, 'consult')).toEqual({ type: 'consult', target: '+15550109999', whisper: 'Anna Lee, a damaged parcel.' });
    call.send({ type: 'consult', status: 'answered', target: '+15550109999', whisper: 'Anna Lee, a damaged parcel.' });
    const intro = await nextEvent(session, 'response.create', (e) => JSON.stringify(e['response'] ?? '').includes('Anna Lee'));
    expect(JSON.stringify(intro['response'])).toContain('the caller cannot hear you');
    const played = await nextMessage(call, 'mark', (m) => m.name.startsWith('bridge-'));
    expect(call.messagesOf('bridge')).toEqual([]);
    call.send({ type: 'mark', name: played.name, status: 'played', playedMs: 600 });
    expect(await nextMessage(call, 'bridge')).toEqual({ type: 'bridge' });
  });

  it('warm_transfer that fails (nobody answers): the model is told and talks to the caller again', async () => {
    const { call, session } = await setup(() => [{ type: 'function_call', name: 'warm_transfer', arguments: { target: 'sales', summary: 'Anna Lee.' } }], {
      transferTargets: { sales: '+15550109999' },
    });
    await nextMessage(call, 'consult');
    call.send({ type: 'consult', status: 'failed', target: '+15550109999', reason: 'no-answer' });
    await until(() => session.eventsOf('response.create').length === 2, 2_000);
    const told = session.eventsOf('conversation.item.create').at(-1)?.['item'] as { role: string; content: { text: string }[] };
    expect(told.content[0]?.text).toContain('The transfer to sales failed');
    expect(call.messagesOf('bridge')).toEqual([]);
  });

  it('transfer_call to a name not configured is refused to the model, which answers again', async () => {
    const { call, session } = await setup(() => [{ type: 'function_call', name: 'transfer_call', arguments: { target: '+19005550000' } }], {
      transferTargets: { sales: '+15550109999' },
    });
    await until(() => session.eventsOf('response.create').length === 2, 2_000);
    expect(outputs(session)[0]?.output).toEqual({ ok: false, error: 'target must be one of: sales' });
    expect(call.messagesOf('transfer')).toEqual([]);
  });

  it('send_dtmf{digits} → dtmf to the gateway, function output, and a new response', async () => {
    const { call, session } = await setup(() => [{ type: 'function_call', name: 'send_dtmf', arguments: { digits: '12#' } }]);
    expect(await nextMessage(call, 'dtmf')).toEqual({ type: 'dtmf', digits: '12#' });
    await until(() => session.eventsOf('response.create').length === 2, 2_000);
    expect(outputs(session)[0]?.output).toMatchObject({ ok: true });
    const types = session.events.map((e) => e.event.type);
    expect(types.lastIndexOf('conversation.item.create')).toBeLessThan(types.lastIndexOf('response.create'));
  });

  it('a disabled or unknown tool, or bad arguments, are refused to the model', async () => {
    const { call, session } = await setup(() => [
      { type: 'function_call', name: 'send_dtmf', arguments: { digits: 'x' } },
      { type: 'function_call', name: 'launch_rocket', arguments: {} },
    ]);
    await until(() => outputs(session).length === 2, 2_000);
    expect(outputs(session).map((o) => o.output)).toEqual([
      { ok: false, error: 'digits must be 1 to 64 of 0-9 * # A-D' },
      { ok: false, error: 'unknown tool "launch_rocket"' },
    ]);
    await until(() => session.eventsOf('response.create').length === 2, 2_000);
    expect(call.messagesOf('dtmf')).toEqual([]);
  });
});

describe('parseToolCall', () => {
  const options = realtimeOptions.parse({ transferTargets: { sales: '+15550109999' }, tools: { sendDtmf: false } });
  it('checks names against the configuration, never the prototype chain', () => {
    expect(parseToolCall('transfer_call', '{"target":"constructor"}', options).kind).toBe('invalid');
    expect(parseToolCall('transfer_call', '{"target":"sales"}', options)).toEqual({ kind: 'transfer_call', name: 'sales', target: '+15550109999' });
    expect(parseToolCall('send_dtmf', '{"digits":"1"}', options)).toEqual({ kind: 'invalid', error: 'unknown tool "send_dtmf"' });
    expect(parseToolCall('end_call', 'not json', options)).toEqual({ kind: 'invalid', error: 'arguments are not valid JSON' });
  });
});
