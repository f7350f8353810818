import { describe, expect, it } from 'vitest';
import { CaptureQueue } from './capture-queue.js';
import { frameOf } from './test-support/fake-context.js';
import { deferred, settle, type Deferred } from './test-support/fake-room.js';

/** A sink whose captures complete when the test says so. */
function manualSink() {
  const started: number[] = [];
  const pending: Array<Deferred<void>> = [];
  const capture = (pcm: Int16Array) => {
    started.push(pcm[0] ?? NaN);
    const d = deferred();
    pending.push(d);
    return d.promise;
  };
  const completeAll = async () => {
    while (pending.length > 0) {
      pending.shift()?.resolve();
      await settle();
    }
  };
  return { started, pending, capture, completeAll };
}

describe('CaptureQueue', () => {
  it('rejects a bound that is not a positive integer', () => {
    expect(() => new CaptureQueue(0, () => {})).toThrow(RangeError);
  });

  it('waits for the sink, then captures in order, one frame at a time', async () => {
    const q = new CaptureQueue(5, () => {});
    const sink = manualSink();
    q.push(frameOf(1));
    q.push(frameOf(2));
    expect(q.length).toBe(2);
    q.attach(sink.capture);
    expect(sink.started).toEqual([1]);
    q.push(frameOf(3));
    expect(sink.started).toEqual([1]);
    await sink.completeAll();
    expect(sink.started).toEqual([1, 2, 3]);
    expect(q.stats).toEqual({ captured: 3, dropped: 0, failed: 0 });
  });

  it('drops the oldest frames beyond the bound and counts them', async () => {
    const q = new CaptureQueue(3, () => {});
    const sink = manualSink();
    q.attach(sink.capture);
    for (let v = 1; v <= 7; v++) q.push(frameOf(v));
    expect(q.length).toBe(3);
    await sink.completeAll();
    expect(sink.started).toEqual([1, 5, 6, 7]);
    expect(q.stats).toEqual({ captured: 4, dropped: 3, failed: 0 });
  });

  it('reports the first failure only, counts the rest, and goes on capturing', async () => {
    const errors: unknown[] = [];
    const q = new CaptureQueue(5, (err) => errors.push(err));
    let calls = 0;
    q.attach(async () => {
      calls++;
      if (calls <= 2) throw new Error(`capture ${calls} failed`);
    });
    for (let v = 1; v <= 3; v++) q.push(frameOf(v));
    await settle();
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('capture 1 failed');
    expect(q.stats).toEqual({ captured: 1, dropped: 0, failed: 2 });
  });

  it('treats a capture that throws synchronously like a rejected one', async () => {
    const q = new CaptureQueue(5, () => {});
    q.attach(() => {
      throw new Error('closed');
    });
    q.push(frameOf(1));
    q.push(frameOf(2));
    await settle();
    expect(q.stats.failed).toBe(2);
  });

  it('captures nothing after close, even when a capture was in flight', async () => {
    const q = new CaptureQueue(5, () => {});
    const sink = manualSink();
    q.attach(sink.capture);
    q.push(frameOf(1));
    q.push(frameOf(2));
    q.close();
    q.push(frameOf(3));
    await sink.completeAll();
    expect(sink.started).toEqual([1]);
    expect(q.length).toBe(0);
  });
});
