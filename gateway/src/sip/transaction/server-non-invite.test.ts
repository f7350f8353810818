import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ServerNonInviteTransaction } from './server-non-invite.js';
import { fakeEnv, reply, request, summary } from './test-helpers.js';
import { SipTransactionStateError } from './types.js';

const remote = { transport: 'udp', address: '192.0.2.10', port: 5060 } as const;

function start(reliable = false) {
  const env = fakeEnv(reliable);
  const req = request({ method: 'OPTIONS' });
  const tx = new ServerNonInviteTransaction(req, remote, env);
  return { env, req, tx };
}

describe('ServerNonInviteTransaction', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('absorbs retransmissions in Trying, resends the provisional in Proceeding and the final in Completed', () => {
    const { env, req, tx } = start();
    expect(tx.state).toBe('trying');
    tx.receiveRetransmission();
    expect(env.sent).toEqual([]);
    tx.respond(reply(req, 183, 't1'));
    expect(tx.state).toBe('proceeding');
    tx.receiveRetransmission();
    expect(summary(env.sent)).toEqual([183, 183]);
    tx.respond(reply(req, 200, 't1'));
    expect(tx.state).toBe('completed');
    tx.receiveRetransmission();
    tx.receiveRetransmission();
    expect(summary(env.sent)).toEqual([183, 183, 200, 200, 200]);
    expect(() => tx.respond(reply(req, 500, 't1'))).toThrow(SipTransactionStateError);
  });

  it('releases the request body after the final response, once the turn that sent it is over', async () => {
    const env = fakeEnv(false);
    const req = { ...request({ method: 'INFO' }), body: Buffer.from('Signal=5\r\nDuration=160\r\n') };
    const tx = new ServerNonInviteTransaction(req, remote, env);
    tx.respond(reply(req, 200, 't1'));
    expect(tx.request.body.toString()).toBe('Signal=5\r\nDuration=160\r\n'); // the TU may still read it now
    await Promise.resolve();
    expect(tx.request.body.length).toBe(0);
    expect(tx.request.method).toBe('INFO');
    expect(req.body.length).toBeGreaterThan(0); // a copy the TU kept is untouched
    tx.receiveRetransmission();
    expect(summary(env.sent)).toEqual([200, 200]);
  });

  it('respondStateless sends the final once and ends the transaction', () => {
    const { env, req, tx } = start();
    tx.respondStateless(reply(req, 481, 't1'));
    expect(summary(env.sent)).toEqual([481]);
    expect(tx.state).toBe('terminated');
    expect(env.terminations).toEqual(['normal']);
    tx.receiveRetransmission();
    expect(summary(env.sent)).toEqual([481]);
    expect(() => start().tx.respondStateless(reply(req, 100))).toThrow(SipTransactionStateError);
  });

  it('Timer J (64*T1) ends it on UDP', () => {
    const { env, req, tx } = start();
    tx.respond(reply(req, 200, 't1'));
    vi.advanceTimersByTime(64 * 500 - 1);
    expect(tx.state).toBe('completed');
    vi.advanceTimersByTime(1);
    expect(tx.state).toBe('terminated');
    expect(env.terminations).toEqual(['normal']);
  });

  it('Timer J is 0 on TCP', () => {
    const { env, req, tx } = start(true);
    tx.respond(reply(req, 200, 't1'));
    expect(tx.state).toBe('terminated');
    expect(summary(env.sent)).toEqual([200]);
    expect(env.terminations).toEqual(['normal']);
  });

  it('rejects an invalid status', () => {
    const { req, tx } = start();
    expect(() => tx.respond(reply(req, 99))).toThrow(SipTransactionStateError);
  });
});
