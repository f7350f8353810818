import { describe, expect, it } from 'vitest';
import { CallEvents, type CallEvent } from './events.js';
import { testCall } from './testing.js';

describe('CallEvents', () => {
  it('tells each subscriber of the type, in order, and only of its type', () => {
    const events = new CallEvents();
    const seen: string[] = [];
    events.on('created', (e) => void seen.push(`a:${e.type}`));
    events.on('created', (e) => void seen.push(`b:${e.type}`));
    events.on('answered', (e) => void seen.push(`c:${e.type}`));
    const call = testCall();
    events.emit({ type: 'created', call });
    events.emit({ type: 'answered', call });
    events.emit({ type: 'ringing', call }); // nobody listens
    expect(seen).toEqual(['a:created', 'b:created', 'c:answered']);
  });

  it('a subscriber that throws is reported, and the others still run; emit never throws', () => {
    const failures: [unknown, CallEvent['type']][] = [];
    const events = new CallEvents((err, e) => failures.push([err, e.type]));
    const seen: string[] = [];
    events.on('ended', () => {
      throw new Error('boom');
    });
    events.on('ended', (e) => void seen.push(e.reason));
    const call = testCall();
    expect(() => events.emit({ type: 'ended', call, reason: 'remote-bye', sipStatus: 200, disposition: 'completed', durations: { totalMs: 1, ringMs: undefined, talkMs: 1 } })).not.toThrow();
    expect(seen).toEqual(['remote-bye']);
    expect(failures.map(([err, type]) => [(err as Error).message, type])).toEqual([['boom', 'ended']]);
    expect(events.subscriberErrors).toBe(1);
  });

  it('a rejected promise is reported too, without being awaited', async () => {
    const failures: unknown[] = [];
    const events = new CallEvents((err) => failures.push(err));
    let resolved = false;
    events.on('created', async () => {
      await Promise.resolve();
      resolved = true;
      throw new Error('later');
    });
    events.emit({ type: 'created', call: testCall() });
    expect(resolved).toBe(false); // emit did not wait
    await new Promise((r) => setImmediate(r));
    expect(failures).toHaveLength(1);
  });

  it('an error reporter that throws is contained as well', () => {
    const events = new CallEvents(() => {
      throw new Error('reporter');
    });
    events.on('created', () => {
      throw new Error('subscriber');
    });
    expect(() => events.emit({ type: 'created', call: testCall() })).not.toThrow();
    expect(events.subscriberErrors).toBe(1);
  });

  it('unsubscribes', () => {
    const events = new CallEvents();
    let n = 0;
    const off = events.on('created', () => void n++);
    events.emit({ type: 'created', call: testCall() });
    off();
    events.emit({ type: 'created', call: testCall() });
    expect(n).toBe(1);
  });
});
