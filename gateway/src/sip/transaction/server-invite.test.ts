import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ServerInviteTransaction } from './server-invite.js';
import { fakeEnv, gaps, reply, request, summary } from './test-helpers.js';
import { SipTransactionStateError } from './types.js';

const remote = { transport: 'udp', address: '192.0.2.10', port: 5060 } as const;

function start(reliable = false, timers = {}) {
  const env = fakeEnv(reliable, timers);
  const invite = request();
  const tx = new ServerInviteTransaction(invite, remote, env);
  const reasons: string[] = [];
  tx.onTerminated = (r) => reasons.push(r);
  tx.start();
  return { env, invite, tx, reasons };
}

describe('ServerInviteTransaction', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends 100 Trying at once and resends the last provisional on INVITE retransmissions', () => {
    const { env, invite, tx } = start();
    expect(summary(env.sent)).toEqual([100]);
    tx.receiveRetransmission();
    expect(summary(env.sent)).toEqual([100, 100]);
    tx.respond(reply(invite, 180, 't1'));
    tx.receiveRetransmission();
    expect(summary(env.sent)).toEqual([100, 100, 180, 180]);
    expect(tx.state).toBe('proceeding');
    expect(tx.cancellable).toBe(true);
  });

  it('2xx: Accepted absorbs INVITE retransmissions, passes TU 2xx retransmissions, gives the 2xx ACK to the TU, ends after Timer L', () => {
    const { env, invite, tx, reasons } = start();
    tx.respond(reply(invite, 200, 't1'));
    expect(tx.state).toBe('accepted');
    expect(tx.cancellable).toBe(false);
    tx.receiveRetransmission();
    expect(summary(env.sent)).toEqual([100, 200]);
    tx.respond(reply(invite, 200, 't1'));
    expect(summary(env.sent)).toEqual([100, 200, 200]);
    expect(tx.receiveAck()).toBe(false);
    expect(() => tx.respond(reply(invite, 486, 't1'))).toThrow(SipTransactionStateError);

    vi.advanceTimersByTime(64 * 500 - 1);
    expect(tx.state).toBe('accepted');
    vi.advanceTimersByTime(1);
    expect(tx.state).toBe('terminated');
    expect(reasons).toEqual(['normal']);
    expect(env.terminations).toEqual(['normal']);
  });

  it('3xx-6xx on UDP: Timer G retransmits at T1 doubling to T2, Timer H ends it as a timeout', () => {
    const { env, invite, tx, reasons } = start();
    tx.respond(reply(invite, 486, 't1'));
    expect(tx.state).toBe('completed');
    vi.advanceTimersByTime(64 * 500 - 1);
    const finals = env.sent.filter((s) => s.msg.kind === 'response' && s.msg.status === 486);
    // sent at 0, then 500, 1000, 2000, 4000, 4000, ... until 32 s
    expect(gaps(finals)).toEqual([500, 1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000, 4000]);
    expect(tx.state).toBe('completed');
    vi.advanceTimersByTime(1);
    expect(tx.state).toBe('terminated');
    expect(reasons).toEqual(['timeout']);
    vi.advanceTimersByTime(60_000);
    expect(finals.length).toBe(11);
  });

  it('honours configured T1 and T2', () => {
    const { env, invite, tx } = start(false, { t1Ms: 100, t2Ms: 300 });
    tx.respond(reply(invite, 500, 't1'));
    vi.advanceTimersByTime(1000);
    const finals = env.sent.filter((s) => s.msg.kind === 'response' && s.msg.status === 500);
    expect(gaps(finals).slice(0, 4)).toEqual([100, 200, 300, 300]);
    vi.advanceTimersByTime(64 * 100 - 1000);
    expect(tx.state).toBe('terminated');
  });

  it('3xx-6xx on TCP: no retransmissions; Timer H still ends it', () => {
    const { env, invite, tx, reasons } = start(true);
    tx.respond(reply(invite, 603, 't1'));
    vi.advanceTimersByTime(64 * 500);
    expect(summary(env.sent)).toEqual([100, 603]);
    expect(reasons).toEqual(['timeout']);
  });

  it('resends the final response on INVITE retransmissions in Completed', () => {
    const { env, invite, tx } = start();
    tx.respond(reply(invite, 404, 't1'));
    tx.receiveRetransmission();
    expect(summary(env.sent)).toEqual([100, 404, 404]);
    expect(() => tx.respond(reply(invite, 500, 't1'))).toThrow(SipTransactionStateError);
  });

  it('ACK moves Completed to Confirmed, stops Timer G, and Timer I (T4) ends it normally', () => {
    const { env, invite, tx, reasons } = start();
    tx.respond(reply(invite, 486, 't1'));
    vi.advanceTimersByTime(500);
    expect(tx.receiveAck()).toBe(true);
    expect(tx.state).toBe('confirmed');
    const sentAtAck = env.sent.length;
    tx.receiveRetransmission();
    expect(tx.receiveAck()).toBe(true);
    vi.advanceTimersByTime(5000 - 1);
    expect(tx.state).toBe('confirmed');
    vi.advanceTimersByTime(1);
    expect(tx.state).toBe('terminated');
    expect(env.sent.length).toBe(sentAtAck);
    expect(reasons).toEqual(['normal']);
  });

  it('ACK on TCP terminates at once (Timer I = 0)', () => {
    const { invite, tx, reasons } = start(true);
    tx.respond(reply(invite, 486, 't1'));
    tx.receiveAck();
    expect(tx.state).toBe('terminated');
    expect(reasons).toEqual(['normal']);
  });

  it('a transport error terminates with transport-error; later responses are ignored', async () => {
    const { env, invite, tx, reasons } = start();
    env.failSends();
    tx.respond(reply(invite, 180, 't1'));
    await vi.advanceTimersByTimeAsync(0);
    expect(tx.state).toBe('terminated');
    expect(reasons).toEqual(['transport-error']);
    expect(() => tx.respond(reply(invite, 200, 't1'))).not.toThrow();
  });

  it('a throwing onTerminated does not escape the timer', () => {
    const { invite, tx } = start(true);
    tx.onTerminated = () => {
      throw new Error('TU bug');
    };
    tx.respond(reply(invite, 486, 't1'));
    expect(() => vi.advanceTimersByTime(64 * 500)).not.toThrow();
    expect(tx.state).toBe('terminated');
  });
});
