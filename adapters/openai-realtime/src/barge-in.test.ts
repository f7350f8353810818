/**
 * Barge-in against the fake Realtime server: the gateway's `interrupted{playedMs}` (or, with `bargeIn: agent`, the
 * model's own speech_started and the gateway's `cleared{playedMs}`) becomes `response.cancel`,
 * `conversation.item.truncate` to what the caller heard (mapped onto the turn's items) and `clear`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeRealtimeServer, tone, until, type FakeCall, type FakeRealtimeServerOptions } from './testing/index.js';
import { frames, nextEvent, nextMessage, placeCall } from './testing/adapter-harness.js';

const servers: FakeRealtimeServer[] = [];
const calls: FakeCall[] = [];

afterEach(async () => {
  for (const call of calls.splice(0)) call.close();
  for (const server of servers.splice(0)) await server.close();
});

async function setup(server: FakeRealtimeServerOptions, options: Parameters<typeof placeCall>[1]) {
  const fake = await FakeRealtimeServer.start(server);
  servers.push(fake);
  const h = await placeCall(fake, options);
  calls.push(h.call);
  return { fake, ...h };
}

function assistantItems(response: { items: { id: string; role?: string }[] } | undefined): string[] {
  return (response?.items ?? []).filter((i) => i.role === 'assistant').map((i) => i.id);
}

describe('barge-in (bargeIn: gateway)', () => {
  it('interrupted{playedMs: 1234} mid-answer → response.cancel, truncate{item, 0, 1234}, clear; late audio of that answer is dropped', async () => {
    const { call, session } = await setup(
      { realtimeFactor: 1, chunkMs: 100, script: () => [{ type: 'audio', ms: 5_000 }] },
      { greeting: 'Hello.' },
    );
    await until(() => call.receivedMs >= 1_500, 5_000, () => `${call.receivedMs} ms received`);
    const response = session.responses[0];
    const heldMs = call.receivedMs;
    call.send({ type: 'interrupted', playedMs: 1_234, droppedMs: heldMs - 1_234, marks: [] });

    const cancel = await nextEvent(session, 'response.cancel');
    const truncate = await nextEvent(session, 'conversation.item.truncate');
    expect(cancel).toEqual({ type: 'response.cancel', response_id: response?.id });
    expect(truncate).toEqual({ type: 'conversation.item.truncate', item_id: assistantItems(response)[0], content_index: 0, audio_end_ms: 1_234 });
    const types = session.events.map((e) => e.event.type);
    expect(types.indexOf('response.cancel')).toBeLessThan(types.indexOf('conversation.item.truncate'));
    expect(call.messagesOf('clear')).toEqual([{ type: 'clear', turnId: 'turn-1' }]);
    // The server accepted the truncation (within what it generated) and stopped the answer.
    await session.settled();
    expect(session.truncations).toEqual([{ itemId: assistantItems(response)[0], audioEndMs: 1_234 }]);
    expect(session.errorsSent).toEqual([]);
    expect(response?.status).toBe('cancelled');
    // Nothing of the cut answer reached the gateway after `interrupted`, and it got no mark.
    expect(call.receivedMs).toBe(heldMs);
    expect(call.messagesOf('mark')).toEqual([]);
  });

  it('the next answer after the clear plays (a new turn: its own truncation starts at 0)', async () => {
    const { call, session } = await setup(
      { realtimeFactor: Number.POSITIVE_INFINITY, script: ({ index }) => [{ type: 'audio', ms: index === 0 ? 2_000 : 700 }] },
      { greeting: 'Hello.', dtmfFlushMs: 0 },
    );
    await nextMessage(call, 'mark', (m) => m.name === 'response-1');
    call.send({ type: 'interrupted', playedMs: 900, droppedMs: 1_100, marks: ['response-1'] });
    call.send({ type: 'dtmf', digit: '1', durationMs: 80, source: 'rfc4733' });
    await nextMessage(call, 'mark', (m) => m.name === 'response-2');
    expect(call.receivedMs).toBe(2_700);
    call.send({ type: 'interrupted', playedMs: 300, droppedMs: 400, marks: ['response-2'] });
    await until(() => session.truncations.length === 2, 2_000);
    expect(session.truncations.map((t) => t.audioEndMs)).toEqual([900, 300]);
    expect(session.truncations[1]?.itemId).toBe(assistantItems(session.responses[1])[0]);
    expect(call.messagesOf('clear')).toEqual([{ type: 'clear', turnId: 'turn-1' }, { type: 'clear', turnId: 'turn-2' }]);
    expect(session.eventsOf('response.cancel')).toEqual([]); // both answers were complete: nothing to cancel
  });

  it('maps playedMs across a turn of several items: heard ones untouched, the one playing cut, later ones to 0', async () => {
    const script = ({ index }: { index: number }) =>
      index === 0 ? [{ type: 'audio' as const, ms: 600 }] : [{ type: 'audio' as const, ms: 1_000, hz: 500 }, { type: 'audio' as const, ms: 2_000, hz: 700 }];
    for (const { playedMs, expected } of [
      { playedMs: 600 + 1_000 + 700, expected: (b1: string, b2: string) => [{ itemId: b2, audioEndMs: 700 }] },
      { playedMs: 600 + 400, expected: (b1: string, b2: string) => [{ itemId: b1, audioEndMs: 400 }, { itemId: b2, audioEndMs: 0 }] },
      { playedMs: 300, expected: (b1: string, b2: string) => [{ itemId: 'greeting', audioEndMs: 300 }, { itemId: b1, audioEndMs: 0 }, { itemId: b2, audioEndMs: 0 }] },
    ]) {
      const { call, session } = await setup({ realtimeFactor: Number.POSITIVE_INFINITY, script }, { greeting: 'Hello.', dtmfFlushMs: 0 });
      await nextMessage(call, 'mark', (m) => m.name === 'response-1');
      // The greeting's mark is not answered: the mapping must not need it.
      call.send({ type: 'dtmf', digit: '#', durationMs: 80, source: 'rfc4733' });
      await nextMessage(call, 'mark', (m) => m.name === 'response-2');
      expect(call.receivedAudio()).toEqual(new Int16Array([...tone(600), ...tone(1_000, 500), ...tone(2_000, 700)]));
      call.send({ type: 'interrupted', playedMs, droppedMs: 3_600 - playedMs, marks: [] });
      const [b1 = '', b2 = ''] = assistantItems(session.responses[1]);
      const greeting = assistantItems(session.responses[0])[0] ?? '';
      const want = expected(b1, b2).map((t) => (t.itemId === 'greeting' ? { ...t, itemId: greeting } : t));
      await until(() => session.truncations.length === want.length, 2_000, () => JSON.stringify(session.truncations));
      expect(session.truncations).toEqual(want);
      expect(session.errorsSent).toEqual([]);
      call.close();
    }
  });

  it('a played mark lets the ledger forget the answer: only audio after it can be cut', async () => {
    const { call, session } = await setup(
      { realtimeFactor: Number.POSITIVE_INFINITY, script: ({ index }) => [{ type: 'audio', ms: index === 0 ? 500 : 1_000 }] },
      { greeting: 'Hello.', dtmfFlushMs: 0 },
    );
    await nextMessage(call, 'mark', (m) => m.name === 'response-1');
    call.send({ type: 'mark', name: 'response-1', status: 'played', playedMs: 500 });
    call.send({ type: 'dtmf', digit: '2', durationMs: 80, source: 'rfc4733' });
    await nextMessage(call, 'mark', (m) => m.name === 'response-2');
    call.send({ type: 'interrupted', playedMs: 1_100, droppedMs: 400, marks: ['response-2'] });
    await until(() => session.truncations.length === 1, 2_000);
    expect(session.truncations).toEqual([{ itemId: assistantItems(session.responses[1])[0], audioEndMs: 600 }]);
  });

  it('interrupted before any audio: only clear (nothing to truncate or cancel)', async () => {
    const { call, session } = await setup({ script: () => [] }, { dtmfFlushMs: 0 });
    await nextEvent(session, 'session.update');
    call.send({ type: 'interrupted', playedMs: 0, droppedMs: 0, marks: [] });
    expect(call.messagesOf('clear')).toEqual([{ type: 'clear', turnId: 'turn-1' }]);
    call.send({ type: 'dtmf', digit: '3', durationMs: 80, source: 'rfc4733' }); // a sentinel event after it
    await nextEvent(session, 'conversation.item.create');
    expect(session.eventsOf('conversation.item.truncate')).toEqual([]);
    expect(session.eventsOf('response.cancel')).toEqual([]);
  });
});

describe('barge-in (bargeIn: agent)', () => {
  it("the model's speech_started → clear{turnId}; cleared{playedMs} → truncate to it", async () => {
    const { call, session } = await setup(
      { realtimeFactor: 1, chunkMs: 100, script: ({ index }) => (index === 0 ? [{ type: 'audio', ms: 5_000 }] : []) },
      { greeting: 'Hello.', bargeIn: 'agent' },
    );
    await until(() => call.receivedMs >= 1_000, 5_000);
    for (const frame of frames(tone(200, 300, -20))) call.sendAudio(frame);
    const clear = await nextMessage(call, 'clear');
    expect(clear).toEqual({ type: 'clear', turnId: 'turn-1' });
    expect(session.eventsOf('conversation.item.truncate')).toEqual([]); // waits for the gateway's count
    call.send({ type: 'cleared', turnId: 'turn-1', playedMs: 800, droppedMs: call.receivedMs - 800 });
    const truncate = await nextEvent(session, 'conversation.item.truncate');
    expect(truncate).toMatchObject({ item_id: assistantItems(session.responses[0])[0], content_index: 0, audio_end_ms: 800 });
    await until(() => session.truncations.length === 1, 2_000);
    expect(call.messagesOf('hangup')).toEqual([]);
  });

  it('speech while nothing plays does not clear', async () => {
    const { call, session, logs } = await setup({ script: () => [] }, { bargeIn: 'agent' });
    await nextEvent(session, 'session.update');
    for (const frame of frames(tone(200, 300, -20))) call.sendAudio(frame);
    await until(() => session.inputAudio().length >= 480 * 10, 2_000);
    // A sentinel after speech_started on the same socket: once the adapter logged it, speech_started was handled.
    session.sendError('sentinel', 'after speech_started');
    await until(() => logs.some((l) => JSON.stringify(l.obj).includes('sentinel')), 2_000);
    expect(call.messagesOf('clear')).toEqual([]);
    expect(call.messagesOf('hangup')).toEqual([]);
  });
});
