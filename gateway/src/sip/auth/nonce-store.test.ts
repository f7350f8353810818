import { describe, expect, it } from 'vitest';
import { mintNonce, nonceIssuedAt, NonceFailureCounter, NonceUseTracker } from './nonce-store.js';

const SECRET = Buffer.from('0123456789abcdef0123456789abcdef');

describe('mintNonce / nonceIssuedAt', () => {
  it('round-trips the issue time and is base64url', () => {
    const nonce = mintNonce(SECRET, 1_700_000_000_123);
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{48}$/);
    expect(nonceIssuedAt(SECRET, nonce)).toBe(1_700_000_000_123);
  });

  it('is different every time', () => {
    expect(mintNonce(SECRET, 5)).not.toBe(mintNonce(SECRET, 5));
  });

  it('rejects a nonce minted with another secret', () => {
    const nonce = mintNonce(Buffer.from('another secret, also 32 bytes..!'), 1000);
    expect(nonceIssuedAt(SECRET, nonce)).toBeUndefined();
  });

  it('rejects a nonce whose timestamp was altered', () => {
    const raw = Buffer.from(mintNonce(SECRET, 1000), 'base64url');
    raw.writeBigUInt64BE(999_999n, 0);
    expect(nonceIssuedAt(SECRET, raw.toString('base64url'))).toBeUndefined();
  });

  it('rejects junk without throwing', () => {
    for (const junk of ['', 'abc', 'not base64!', 'A'.repeat(48), 'A'.repeat(1000), '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v']) {
      expect(nonceIssuedAt(SECRET, junk)).toBeUndefined();
    }
  });
});

describe('NonceUseTracker', () => {
  it('accepts increasing counts and rejects repeats or decreases', () => {
    const t = new NonceUseTracker(10);
    expect(t.use('n', 1, 100, 0)).toBe('ok');
    expect(t.use('n', 1, 100, 0)).toBe('replay');
    expect(t.use('n', 3, 100, 0)).toBe('ok');
    expect(t.use('n', 2, 100, 0)).toBe('replay');
    expect(t.use('n', 4, 100, 0)).toBe('ok');
  });

  it('reports an unseen nonce with a count above 1 as unknown without recording it', () => {
    const t = new NonceUseTracker(10);
    expect(t.use('n', 2, 100, 0)).toBe('unknown');
    expect(t.size).toBe(0);
  });

  it('lets a once-only nonce be used once', () => {
    const t = new NonceUseTracker(10);
    expect(t.use('n', 'once', 100, 0)).toBe('ok');
    expect(t.use('n', 'once', 100, 0)).toBe('replay');
    expect(t.use('n', 7, 100, 0)).toBe('replay');
    expect(t.use('m', 1, 100, 0)).toBe('ok');
    expect(t.use('m', 'once', 100, 0)).toBe('replay');
  });

  it('evicts the least recently used nonce beyond the bound', () => {
    const t = new NonceUseTracker(2);
    t.use('a', 1, 100, 0);
    t.use('b', 1, 100, 0);
    t.use('a', 2, 100, 0); // a is now most recent
    t.use('c', 1, 100, 0); // evicts b
    expect(t.size).toBe(2);
    expect(t.use('a', 2, 100, 0)).toBe('replay');
    expect(t.use('b', 1, 100, 0)).toBe('ok'); // forgotten, so nc=1 looks new; evicts a
    expect(t.use('a', 3, 100, 0)).toBe('unknown');
  });

  it('drops expired entries when recording new ones', () => {
    const t = new NonceUseTracker(100);
    t.use('old', 1, 50, 0);
    t.use('new', 1, 500, 100);
    expect(t.size).toBe(1);
  });

  it('rejects a non-positive bound', () => {
    expect(() => new NonceUseTracker(0)).toThrow(RangeError);
  });
});

describe('NonceFailureCounter', () => {
  it('spends a nonce at its limit, per nonce', () => {
    const counter = new NonceFailureCounter(2, 10);
    counter.fail('a');
    expect(counter.spent('a')).toBe(false);
    counter.fail('a');
    expect(counter.spent('a')).toBe(true);
    expect(counter.spent('b')).toBe(false);
  });

  it('never spends with limit 0, and keeps nothing', () => {
    const counter = new NonceFailureCounter(0, 10);
    for (let i = 0; i < 50; i++) counter.fail('a');
    expect(counter.spent('a')).toBe(false);
    expect(counter.size).toBe(0);
  });

  it('forgets the least recently failed nonce beyond maxEntries', () => {
    const counter = new NonceFailureCounter(1, 2);
    counter.fail('a');
    counter.fail('b');
    counter.fail('a');
    counter.fail('c'); // b is the least recent
    expect(counter.size).toBe(2);
    expect([counter.spent('a'), counter.spent('b'), counter.spent('c')]).toEqual([true, false, true]);
  });

  it('refuses nonsense bounds', () => {
    expect(() => new NonceFailureCounter(-1, 1)).toThrow(RangeError);
    expect(() => new NonceFailureCounter(1, 0)).toThrow(RangeError);
  });
});
