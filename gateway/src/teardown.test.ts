import { describe, expect, it } from 'vitest';
import { Teardown, TeardownError } from './teardown.js';

describe('Teardown', () => {
  it('runs every step whatever the others throw, then throws them together', () => {
    const ran: string[] = [];
    const t = new Teardown();
    t.step('a', () => {
      ran.push('a');
      throw new Error('a broke');
    });
    t.step('b', () => ran.push('b'));
    t.step('c', () => {
      ran.push('c');
      throw 'not even an Error';
    });
    expect(ran).toEqual(['a', 'b', 'c']);
    expect(t.failures.map((f) => f.step)).toEqual(['a', 'c']);
    let caught: unknown;
    try {
      t.finish();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TeardownError);
    expect(caught).toMatchObject({ code: 'TEARDOWN_FAILED', message: 'teardown steps failed: a, c' });
  });

  it('names the steps of a nested close under the step that ran it', () => {
    const inner = new Teardown();
    inner.step('endpoint', () => {
      throw new Error('x');
    });
    const outer = new Teardown();
    outer.step('media', () => inner.finish());
    expect(outer.failures.map((f) => f.step)).toEqual(['media.endpoint']);
  });

  it('finishes quietly when nothing failed', () => {
    const t = new Teardown();
    t.step('a', () => undefined);
    expect(() => t.finish()).not.toThrow();
  });
});
