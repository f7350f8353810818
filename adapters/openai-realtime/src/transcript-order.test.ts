import { TranscriptLines, type TranscriptMode } from '@patchbay/adapter-kit';
import type { TranscriptMessage } from '@patchbay/agents';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TranscriptOrder } from './transcript-order.js';

const HOLD_MS = 3_000;

function order(mode: TranscriptMode = 'final'): { o: TranscriptOrder; said: () => string[] } {
  const sent: TranscriptMessage[] = [];
  const o = new TranscriptOrder(new TranscriptLines(mode, (m) => sent.push(m)), HOLD_MS);
  return { o, said: () => sent.map((m) => `${m.role}${m.final ? '' : '~'}: ${m.text}`) };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('TranscriptOrder', () => {
  it('an answer that comes before the question was transcribed waits for it', () => {
    const { o, said } = order();
    o.agent('Hello, how can I help?'); // the greeting: nothing to wait for
    o.callerCommitted('item_1');
    o.agent('Sure, for when?');
    expect(said()).toEqual(['agent: Hello, how can I help?']);
    o.callerDone('item_1', 'I would like a table.');
    expect(said()).toEqual(['agent: Hello, how can I help?', 'caller: I would like a table.', 'agent: Sure, for when?']);
  });

  it('a transcription that never comes holds the answer only holdMs; when it comes late it is still said', () => {
    const { o, said } = order();
    o.callerCommitted('item_1');
    o.agent('Sorry?');
    vi.advanceTimersByTime(HOLD_MS - 10);
    expect(said()).toEqual([]);
    vi.advanceTimersByTime(10);
    expect(said()).toEqual(['agent: Sorry?']);
    o.callerDone('item_1', 'mumble');
    expect(said()).toEqual(['agent: Sorry?', 'caller: mumble']);
  });

  it('a failed transcription releases what waits behind it, and says nothing for the caller', () => {
    const { o, said } = order();
    o.callerCommitted('item_1');
    o.callerCommitted('item_2');
    o.agent('One moment.');
    o.callerDone('item_2', 'Second.');
    expect(said()).toEqual([]);
    o.callerDone('item_1', undefined);
    expect(said()).toEqual(['caller: Second.', 'agent: One moment.']);
  });

  it('the hold is measured from each turn\'s commit', () => {
    const { o, said } = order();
    o.callerCommitted('item_1');
    vi.advanceTimersByTime(2_000);
    o.callerCommitted('item_2');
    o.agent('A');
    o.callerDone('item_1', 'one');
    expect(said()).toEqual(['caller: one']);
    vi.advanceTimersByTime(HOLD_MS - 1);
    expect(said()).toEqual(['caller: one']);
    vi.advanceTimersByTime(1);
    expect(said()).toEqual(['caller: one', 'agent: A']);
  });

  it('release() sends everything held at once, in order', () => {
    const { o, said } = order();
    o.callerCommitted('item_1');
    o.agent('Goodbye!');
    o.release();
    expect(said()).toEqual(['agent: Goodbye!']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('partial mode: the turn so far as final:false lines, then the final one in order', () => {
    const { o, said } = order('partial');
    o.callerCommitted('item_1');
    o.callerDelta('item_1', 'I would ');
    o.callerDelta('item_1', 'like a table.');
    o.callerDone('item_1', 'I would like a table.');
    expect(said()).toEqual(['caller~: I would', 'caller~: I would like a table.', 'caller: I would like a table.']);
  });

  it('off: nothing is held or said', () => {
    const { o, said } = order('off');
    o.callerCommitted('item_1');
    o.callerDelta('item_1', 'x');
    o.agent('Hi');
    o.callerDone('item_1', 'Hello');
    expect(said()).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('close() forgets what is held and stops its timer', () => {
    const { o, said } = order();
    o.callerCommitted('item_1');
    o.agent('Hi');
    o.close();
    vi.advanceTimersByTime(HOLD_MS * 2);
    expect(said()).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('TranscriptOrder: agent items', () => {
  it('says an item once (its transcript event and the response.done that repeats it)', () => {
    const sent: TranscriptMessage[] = [];
    const o = new TranscriptOrder(new TranscriptLines('final', (m) => sent.push(m)), HOLD_MS);
    o.agent('Hello.', 'item_1');
    o.agent('Hello.', 'item_1');
    o.agent('Hello again.', 'item_2');
    expect(sent.map((m) => m.text)).toEqual(['Hello.', 'Hello again.']);
  });
});
