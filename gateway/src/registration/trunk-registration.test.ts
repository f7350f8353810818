import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../logger.js';
import { DigestAuthenticator } from '../sip/auth/digest.js';
import { getHeader, getHeaders, type SipHeader, type SipRequest, type SipResponse } from '../sip/message.js';
import { createResponse } from '../sip/response.js';
import type { ClientTransaction, RemoteInfo } from '../sip/stack.js';
import type { TrunkRegistrationConfig } from '../config-trunks.js';
import { backoffDelayMs, refreshDelayMs } from './schedule.js';
import { TrunkRegistration, type RegistrationHost } from './trunk-registration.js';

const CONFIG: TrunkRegistrationConfig = {
  registrar: { host: '192.0.2.10', port: 5060, transport: 'udp' },
  aor: { user: 'alice', domain: 'example.test' },
  auth: { username: 'alice', password: 's3cret' },
  expiresS: 3600,
  contactUser: 'pb-contact',
};

type Answer = (req: SipRequest) => { status: number; headers?: SipHeader[] } | 'timeout';

/** A scripted registrar behind the host interface: every REGISTER is recorded and answered by `answer`. */
class FakeRegistrar implements RegistrationHost {
  readonly sent: SipRequest[] = [];
  readonly targets: RemoteInfo[] = [];
  readonly sentAt: number[] = [];
  constructor(public answer: Answer) {}

  sendRequest(req: SipRequest, target: RemoteInfo): ClientTransaction {
    this.sent.push(req);
    this.targets.push(target);
    this.sentAt.push(Date.now());
    const a = this.answer(req);
    const res: SipResponse = a === 'timeout' ? createResponse(req, 408) : createResponse(req, a.status, { headers: a.headers ?? [] });
    return { request: req, response: Promise.resolve(res) };
  }

  localAddressFor(): { address: string; port: number } {
    return { address: '198.51.100.7', port: 5070 };
  }

  header(i: number, name: string): string | undefined {
    const req = this.sent[i];
    return req && getHeader(req, name);
  }
}

/** A registrar that checks digest credentials for real and grants `grantS` on our contact. */
function digestRegistrar(grantS: number, password = 's3cret', now?: () => number): Answer {
  const server = new DigestAuthenticator({ realm: 'example.test', secret: Buffer.alloc(32, 1), algorithms: ['MD5'], ...(now ? { now } : {}) });
  return (req) => {
    const result = server.verify('REGISTER', req.uri, getHeader(req, 'authorization'), (u) => (u === 'alice' ? { username: u, password } : undefined));
    if (!result.ok) {
      const stale = result.reason === 'stale';
      return { status: 401, headers: server.challenge({ stale }).map((value) => ({ name: 'WWW-Authenticate', value })) };
    }
    const contact = getHeader(req, 'contact') ?? '';
    const expires = Number(getHeader(req, 'expires'));
    return { status: 200, headers: [{ name: 'Contact', value: `${contact};expires=${Math.min(expires, grantS)}` }] };
  };
}

function registration(host: FakeRegistrar, config: Partial<TrunkRegistrationConfig> = {}, random = 0): TrunkRegistration {
  return new TrunkRegistration({ trunk: 'carrier', config: { ...CONFIG, ...config }, host, publicAddress: null, logger: silentLogger, random: () => random, userAgent: 'Patchbay-test' });
}

/** Lets the promise chain of an attempt run (responses resolve at once). */
async function settle(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}

describe('refresh and backoff schedule', () => {
  it('refreshes at half the lifetime, 30 s before expiry when that is earlier, never under a second', () => {
    expect(refreshDelayMs(3600)).toBe(1_800_000);
    expect(refreshDelayMs(60)).toBe(30_000);
    expect(refreshDelayMs(45)).toBe(15_000); // 30 s before expiry beats half
    expect(refreshDelayMs(10)).toBe(5_000); // no room for 30 s: half
    expect(refreshDelayMs(1)).toBe(1_000);
  });

  it('doubles from the base with equal jitter, caps, and takes Retry-After as a floor', () => {
    const opts = { baseMs: 5_000, maxMs: 600_000 };
    expect(backoffDelayMs(1, 0, opts)).toBe(2_500);
    expect(backoffDelayMs(1, 0.999999, opts)).toBe(5_000);
    expect(backoffDelayMs(3, 0, opts)).toBe(10_000);
    expect(backoffDelayMs(40, 1, opts)).toBe(600_000);
    expect(backoffDelayMs(1, 0, opts, 120)).toBe(120_000);
  });
});

describe('TrunkRegistration', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_700_000_000_000);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers the challenge, honours the granted expires and refreshes before it runs out with credentials up front', async () => {
    const host = new FakeRegistrar(digestRegistrar(10));
    const reg = registration(host);
    reg.start();
    expect(reg.status().state).toBe('registering');
    await settle();
    expect(host.sent).toHaveLength(2); // unauthenticated, then the answer to the 401
    expect(host.targets[0]).toEqual({ transport: 'udp', address: '192.0.2.10', port: 5060 });
    const first = host.sent[0];
    expect(first?.uri).toBe('sip:example.test');
    expect(host.header(0, 'to')).toBe('<sip:alice@example.test>');
    expect(host.header(0, 'contact')).toBe('<sip:pb-contact@198.51.100.7:5070>');
    expect(host.header(0, 'expires')).toBe('3600');
    expect(host.header(0, 'authorization')).toBeUndefined();
    expect(host.header(1, 'authorization')).toMatch(/^Digest username="alice"/);
    expect(host.header(1, 'call-id')).toBe(host.header(0, 'call-id'));
    expect(host.header(0, 'cseq')).toBe('1 REGISTER');
    expect(host.header(1, 'cseq')).toBe('2 REGISTER');
    expect(reg.status()).toMatchObject({ state: 'registered', grantedExpiresS: 10, expiresAt: Date.now() + 10_000, nextAttemptAt: Date.now() + 5_000, failures: 0, lastStatus: 200 });

    await vi.advanceTimersByTimeAsync(4_999);
    expect(host.sent).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(host.sent).toHaveLength(3); // the refresh: accepted at once with the reused nonce (nc=2)
    expect(host.header(2, 'authorization')).toMatch(/nc=00000002/);
    expect(host.header(2, 'cseq')).toBe('3 REGISTER');
    expect(host.header(2, 'call-id')).toBe(host.header(0, 'call-id'));
    expect(reg.status()).toMatchObject({ state: 'registered', expiresAt: Date.now() + 10_000 });
  });

  it('answers a stale nonce again without counting a failure', async () => {
    const host = new FakeRegistrar(digestRegistrar(60, 's3cret', () => Date.now()));
    // nonceTtl is 300 s: the refresh at 30 s reuses it; jump past it for the next refresh.
    const reg = registration(host);
    reg.start();
    await settle();
    expect(reg.status().state).toBe('registered');
    vi.setSystemTime(Date.now() + 400_000); // the registrar's nonce is now stale; our binding lapsed too
    await vi.advanceTimersByTimeAsync(30_000);
    const statuses = host.sent.slice(2).map((_, i) => host.header(i + 2, 'authorization') !== undefined);
    expect(statuses).toEqual([true, true]); // stale credentials, then the answer to stale=true
    expect(reg.status()).toMatchObject({ state: 'registered', failures: 0 });
  });

  it('backs off on 403 (doubling, jittered) and keeps trying; state failed with the last status', async () => {
    const host = new FakeRegistrar(() => ({ status: 403 }));
    const reg = registration(host, {}, 0); // jitter at its minimum: half of each step
    reg.start();
    await settle();
    expect(reg.status()).toMatchObject({ state: 'failed', lastStatus: 403, lastError: 'REGISTRATION_REFUSED', failures: 1, nextAttemptAt: Date.now() + 2_500 });
    await vi.advanceTimersByTimeAsync(2_500);
    await vi.advanceTimersByTimeAsync(5_000);
    await vi.advanceTimersByTimeAsync(10_000);
    const gaps = host.sentAt.slice(1).map((t, i) => t - (host.sentAt[i] ?? 0));
    expect(gaps).toEqual([2_500, 5_000, 10_000]);
    expect(reg.status().failures).toBe(4);
  });

  it('takes 423 Min-Expires as the new lifetime and sends again at once', async () => {
    const host = new FakeRegistrar((req) => {
      const expires = Number(getHeader(req, 'expires'));
      if (expires < 120) return { status: 423, headers: [{ name: 'Min-Expires', value: '120' }] };
      return { status: 200, headers: [{ name: 'Expires', value: String(expires) }] };
    });
    const reg = registration(host, { expiresS: 30, auth: undefined });
    reg.start();
    await settle();
    expect(host.sent.map((_, i) => host.header(i, 'expires'))).toEqual(['30', '120']);
    expect(reg.status()).toMatchObject({ state: 'registered', grantedExpiresS: 120, nextAttemptAt: Date.now() + 60_000 });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(host.header(2, 'expires')).toBe('120'); // and keeps asking for it
  });

  it('fails a 423 with no usable Min-Expires', async () => {
    const host = new FakeRegistrar(() => ({ status: 423, headers: [{ name: 'Min-Expires', value: '10' }] }));
    const reg = registration(host, { expiresS: 30 });
    reg.start();
    await settle();
    expect(host.sent).toHaveLength(1);
    expect(reg.status()).toMatchObject({ state: 'failed', lastError: 'REGISTRATION_INTERVAL', lastStatus: 423 });
  });

  it('stops after one answered fresh challenge when the password is wrong', async () => {
    const host = new FakeRegistrar(digestRegistrar(60, 'the-real-one'));
    const reg = registration(host);
    reg.start();
    await settle();
    expect(host.sent).toHaveLength(2);
    expect(reg.status()).toMatchObject({ state: 'failed', lastError: 'REGISTRATION_AUTH_REJECTED', lastStatus: 401 });
  });

  it('reports a challenge it has no credentials for, a timeout, and a 503 Retry-After floor', async () => {
    const noCreds = new FakeRegistrar(digestRegistrar(60));
    const a = registration(noCreds, { auth: undefined });
    a.start();
    await settle();
    expect(a.status()).toMatchObject({ state: 'failed', lastError: 'REGISTRATION_NO_CREDENTIALS' });

    const silent = new FakeRegistrar(() => 'timeout');
    const b = registration(silent);
    b.start();
    await settle();
    expect(b.status()).toMatchObject({ state: 'failed', lastError: 'REGISTRATION_TIMEOUT', lastStatus: 408 });

    const busy = new FakeRegistrar(() => ({ status: 503, headers: [{ name: 'Retry-After', value: '300' }] }));
    const c = registration(busy);
    c.start();
    await settle();
    expect(c.status()).toMatchObject({ lastError: 'REGISTRATION_SERVER_ERROR', nextAttemptAt: Date.now() + 300_000 });
  });

  it('reads the Expires header when the contact has no expires, and refuses a 2xx that does not keep our contact', async () => {
    const other = new FakeRegistrar(() => ({ status: 200, headers: [{ name: 'Contact', value: '<sip:someone@203.0.113.1>;expires=3600' }] }));
    const reg = registration(other);
    reg.start();
    await settle();
    expect(reg.status()).toMatchObject({ state: 'failed', lastError: 'REGISTRATION_NOT_KEPT' });
  });

  it('on stop, un-registers (Expires: 0, credentials up front) and ends unregistered; nothing is sent when never bound', async () => {
    const host = new FakeRegistrar(digestRegistrar(60));
    const reg = registration(host);
    reg.start();
    await settle();
    await reg.stop();
    const last = host.sent.length - 1;
    expect(host.header(last, 'expires')).toBe('0');
    expect(host.header(last, 'contact')).toBe('<sip:pb-contact@198.51.100.7:5070>');
    expect(host.header(last, 'authorization')).toMatch(/nc=00000002/);
    expect(reg.status()).toMatchObject({ state: 'unregistered' });
    expect(reg.status().nextAttemptAt).toBeUndefined();
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(host.sent).toHaveLength(last + 1); // no refresh after stop

    const refused = new FakeRegistrar(() => ({ status: 403 }));
    const never = registration(refused);
    never.start();
    await settle();
    await never.stop();
    expect(refused.sent).toHaveLength(1);
    expect(never.status().state).toBe('unregistered');
  });

  it('puts transport=tcp and the public address in the Contact, and resolves a registrar host name', async () => {
    const host = new FakeRegistrar(() => ({ status: 200 }));
    const reg = new TrunkRegistration({
      trunk: 't',
      config: { ...CONFIG, registrar: { host: 'sip.example.test', port: 5080, transport: 'tcp' }, aor: { user: 'a', domain: 'sip.example.test' } },
      host,
      publicAddress: '203.0.113.50',
      logger: silentLogger,
      resolve: (name) => Promise.resolve(name === 'sip.example.test' ? '192.0.2.99' : '0.0.0.0'),
    });
    reg.start();
    await settle();
    expect(host.targets[0]).toEqual({ transport: 'tcp', address: '192.0.2.99', port: 5080 });
    expect(host.sent[0]?.uri).toBe('sip:sip.example.test:5080');
    expect(host.header(0, 'contact')).toBe('<sip:pb-contact@203.0.113.50:5070;transport=tcp>');
    expect(getHeaders(host.sent[0] ?? { kind: 'request', method: '', uri: '', headers: [], body: Buffer.alloc(0) }, 'via')[0]).toMatch(/^SIP\/2\.0\/TCP 198\.51\.100\.7:5070;branch=z9hG4bK/);
    expect(reg.status()).toMatchObject({ state: 'registered', grantedExpiresS: 3600 });
    await reg.stop();
  });
});
