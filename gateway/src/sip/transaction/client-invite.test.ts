import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { getHeader, getHeaders, type SipResponse } from '../message.js';
import { ClientInviteTransaction } from './client-invite.js';
import { fakeEnv, gaps, reply, request, summary } from './test-helpers.js';

function start(reliable = false) {
  const env = fakeEnv(reliable);
  const invite = request({ extra: [{ name: 'Route', value: '<sip:proxy.example.com;lr>' }] });
  const tx = new ClientInviteTransaction(invite, env);
  const provisional: number[] = [];
  const retransmitted: number[] = [];
  tx.onProvisional = (r) => provisional.push(r.status);
  tx.onRetransmitted2xx = (r) => retransmitted.push(r.status);
  let final: SipResponse | undefined;
  void tx.response.then((r) => {
    final = r;
  });
  tx.start();
  return { env, invite, tx, provisional, retransmitted, final: () => final };
}

describe('ClientInviteTransaction', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('Timer A retransmits at T1 doubling on UDP; Timer B gives the TU a 408', async () => {
    const { env, tx, final } = start();
    await vi.advanceTimersByTimeAsync(64 * 500 - 1);
    expect(gaps(env.sent)).toEqual([500, 1000, 2000, 4000, 8000, 16000]);
    expect(final()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(final()?.status).toBe(408);
    expect(tx.state).toBe('terminated');
    expect(env.terminations).toEqual(['timeout']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(env.sent.length).toBe(7);
  });

  it('does not retransmit on TCP but still times out', async () => {
    const { env, final } = start(true);
    await vi.advanceTimersByTimeAsync(64 * 500);
    expect(summary(env.sent)).toEqual(['INVITE']);
    expect(final()?.status).toBe(408);
  });

  it('1xx stops retransmissions and Timer B and reaches the TU', async () => {
    const { env, invite, tx, provisional, final } = start();
    tx.receiveResponse(reply(invite, 100));
    tx.receiveResponse(reply(invite, 180, 'to1'));
    expect(tx.state).toBe('proceeding');
    await vi.advanceTimersByTimeAsync(120_000);
    expect(summary(env.sent)).toEqual(['INVITE']);
    expect(provisional).toEqual([100, 180]);
    expect(final()).toBeUndefined();
  });

  it('2xx: Accepted, later 2xx go to onRetransmitted2xx, Timer M ends it', async () => {
    const { invite, tx, retransmitted, final, env } = start();
    tx.receiveResponse(reply(invite, 200, 'to1'));
    await vi.advanceTimersByTimeAsync(0);
    expect(final()?.status).toBe(200);
    expect(tx.state).toBe('accepted');
    tx.receiveResponse(reply(invite, 200, 'to1'));
    tx.receiveResponse(reply(invite, 200, 'fork2'));
    expect(retransmitted).toEqual([200, 200]);
    await vi.advanceTimersByTimeAsync(64 * 500 - 1);
    expect(summary(env.sent)).toEqual(['INVITE']);
    expect(tx.state).toBe('accepted');
    await vi.advanceTimersByTimeAsync(1);
    expect(tx.state).toBe('terminated');
    expect(env.terminations).toEqual(['normal']);
  });

  it('300-699: sends the ACK with the INVITE branch (RFC 3261 §17.1.1.3), re-ACKs repeats, Timer D ends it', async () => {
    const { env, invite, tx, final } = start();
    tx.receiveResponse(reply(invite, 486, 'to9'));
    await vi.advanceTimersByTimeAsync(0);
    expect(final()?.status).toBe(486);
    expect(tx.state).toBe('completed');
    const ack = env.sent[1]?.msg;
    if (ack?.kind !== 'request') throw new Error('expected the ACK');
    expect(ack.method).toBe('ACK');
    expect(ack.uri).toBe(invite.uri);
    expect(getHeaders(ack, 'via')).toEqual(getHeaders(invite, 'via'));
    expect(getHeader(ack, 'cseq')).toBe('1 ACK');
    expect(getHeader(ack, 'to')).toBe('<sip:bob@example.com>;tag=to9');
    expect(getHeader(ack, 'from')).toBe(getHeader(invite, 'from'));
    expect(getHeader(ack, 'route')).toBe('<sip:proxy.example.com;lr>');

    tx.receiveResponse(reply(invite, 486, 'to9'));
    expect(summary(env.sent)).toEqual(['INVITE', 'ACK', 'ACK']);
    await vi.advanceTimersByTimeAsync(32_000 - 1);
    expect(tx.state).toBe('completed');
    await vi.advanceTimersByTimeAsync(1);
    expect(tx.state).toBe('terminated');
  });

  it('Timer D is 0 on TCP', () => {
    const { invite, tx, env } = start(true);
    tx.receiveResponse(reply(invite, 404, 'to9'));
    expect(summary(env.sent)).toEqual(['INVITE', 'ACK']);
    expect(tx.state).toBe('terminated');
  });

  it('a transport error gives the TU a 503', async () => {
    const env = fakeEnv(false);
    env.failSends();
    const tx = new ClientInviteTransaction(request(), env);
    tx.start();
    const res = await tx.response;
    expect(res.status).toBe(503);
    expect(env.terminations).toEqual(['transport-error']);
  });
});
