import { describe, expect, it } from 'vitest';
import { fingerprintOf, IdempotencyStore } from './idempotency.js';

describe('IdempotencyStore', () => {
  const done = { body: 'call-1', headers: { location: '/v1/calls/1' } };

  it('new, in progress, replay; another body is a mismatch', () => {
    const store = new IdempotencyStore<string>();
    expect(store.claim('one', 'k', { to: '+1' })).toEqual({ kind: 'new' });
    expect(store.claim('one', 'k', { to: '+1' })).toEqual({ kind: 'in-progress' });
    expect(store.isReplay('one', 'k', { to: '+1' })).toBe(false);
    store.complete('one', 'k', done);
    expect(store.claim('one', 'k', { to: '+1' })).toEqual({ kind: 'replay', response: done });
    expect(store.isReplay('one', 'k', { to: '+1' })).toBe(true);
    expect(store.claim('one', 'k', { to: '+2' })).toEqual({ kind: 'mismatch' });
    expect(store.claim('two', 'k', { to: '+2' })).toEqual({ kind: 'new' }); // scoped per API key
  });

  it('a released claim can be made again; a completed one cannot be released', () => {
    const store = new IdempotencyStore<string>();
    store.claim('s', 'k', {});
    store.release('s', 'k');
    expect(store.claim('s', 'k', { other: true })).toEqual({ kind: 'new' });
    store.complete('s', 'k', done);
    store.release('s', 'k');
    expect(store.claim('s', 'k', { other: true }).kind).toBe('replay');
  });

  it('forgets keys after the TTL', () => {
    let now = 0;
    const store = new IdempotencyStore<string>({ ttlMs: 1000, now: () => now });
    store.claim('s', 'a', {});
    store.complete('s', 'a', done);
    now = 999;
    expect(store.claim('s', 'a', {}).kind).toBe('replay');
    expect(store.isReplay('s', 'a', {})).toBe(true);
    now = 1000;
    expect(store.isReplay('s', 'a', {})).toBe(false);
    expect(store.claim('s', 'a', {}).kind).toBe('new');
    expect(store.size).toBe(1);
  });

  it('is bounded: the oldest keys go first', () => {
    const store = new IdempotencyStore<string>({ maxEntries: 3 });
    for (const k of ['a', 'b', 'c', 'd']) store.claim('s', k, {});
    expect(store.size).toBe(3);
    expect(store.claim('s', 'a', { x: 1 }).kind).toBe('new'); // 'a' was forgotten (and 'b' now is)
    expect(store.claim('s', 'd', { x: 1 }).kind).toBe('mismatch');
    expect(store.size).toBe(3);
  });
});

describe('fingerprintOf', () => {
  it('ignores key order and undefined members, not values or array order', () => {
    expect(fingerprintOf({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(fingerprintOf({ b: { d: 'x', c: [1, 2] }, a: 1, e: undefined }));
    expect(fingerprintOf({ a: [1, 2] })).not.toBe(fingerprintOf({ a: [2, 1] }));
    expect(fingerprintOf({ a: '1' })).not.toBe(fingerprintOf({ a: 1 }));
  });
});
