import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SipResponse } from '../message.js';
import { ClientNonInviteTransaction } from './client-non-invite.js';
import { fakeEnv, gaps, reply, request, summary } from './test-helpers.js';

function start(reliable = false) {
  const env = fakeEnv(reliable);
  const req = request({ method: 'OPTIONS' });
  const tx = new ClientNonInviteTransaction(req, env);
  const provisional: number[] = [];
  tx.onProvisional = (r) => provisional.push(r.status);
  let final: SipResponse | undefined;
  void tx.response.then((r) => {
    final = r;
  });
  tx.start();
  return { env, req, tx, provisional, final: () => final };
}

describe('ClientNonInviteTransaction', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('Timer E retransmits at T1 doubling, capped at T2; Timer F gives a 408', async () => {
    const { env, tx, final } = start();
    await vi.advanceTimersByTimeAsync(64 * 500 - 1);
    expect(gaps(env.sent)).toEqual([500, 1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000, 4000]);
    expect(final()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(final()?.status).toBe(408);
    expect(tx.state).toBe('terminated');
    expect(env.terminations).toEqual(['timeout']);
  });

  it('in Proceeding, Timer E fires every T2', async () => {
    const { env, req, tx, provisional } = start();
    tx.receiveResponse(reply(req, 100));
    expect(tx.state).toBe('proceeding');
    expect(provisional).toEqual([100]);
    await vi.advanceTimersByTimeAsync(500 + 4000 + 4000);
    expect(gaps(env.sent)).toEqual([500, 4000, 4000]);
  });

  it('a final response completes it; repeats are absorbed; Timer K (T4) ends it', async () => {
    const { env, req, tx, final } = start();
    tx.receiveResponse(reply(req, 200, 't'));
    await vi.advanceTimersByTimeAsync(0);
    expect(final()?.status).toBe(200);
    expect(tx.state).toBe('completed');
    tx.receiveResponse(reply(req, 200, 't'));
    await vi.advanceTimersByTimeAsync(5000 - 1);
    expect(tx.state).toBe('completed');
    expect(summary(env.sent)).toEqual(['OPTIONS']);
    await vi.advanceTimersByTimeAsync(1);
    expect(tx.state).toBe('terminated');
    expect(env.terminations).toEqual(['normal']);
  });

  it('on TCP: no retransmissions, Timer K = 0, Timer F still applies', async () => {
    const a = start(true);
    await vi.advanceTimersByTimeAsync(64 * 500);
    expect(summary(a.env.sent)).toEqual(['OPTIONS']);
    expect(a.final()?.status).toBe(408);

    const b = start(true);
    b.tx.receiveResponse(reply(b.req, 404, 't'));
    expect(b.tx.state).toBe('terminated');
  });

  it('dispose resolves a pending response with 503', async () => {
    const { tx } = start();
    tx.dispose();
    expect((await tx.response).status).toBe(503);
  });
});
