/**
 * Registration against real peers (issue 12 §2).
 *
 * Kamailio as the carrier's registrar: Patchbay registers with digest (SHA-256, qop=auth), Kamailio grants 10 s
 * and Patchbay refreshes before they run out; a caller dials the AOR at Kamailio, which relays the INVITE to the
 * Contact we registered, and the call is admitted for the trunk and reaches the echo agent (200 OK, RTP back).
 * On shutdown the binding is removed (REGISTER with Expires: 0).
 *
 * A scripted registrar on a UDP socket for the failure paths: 403 → failed, next attempt after a jittered backoff;
 * 423 Interval Too Brief → asked again at once with the Min-Expires.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC } from '@patchbay/observability';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { startKamailio, type Kamailio } from '../helpers/kamailio.js';
import { SipCaller } from '../helpers/sip-caller.js';
import { canonical, header, parseSip, type SipMessage } from '../helpers/sip-text.js';
import { sine } from '../helpers/tones.js';

const NUMBER = '+15550100001';
const ENV = { KAMAILIO_PASS: 's3cret-Pa55' };

describe('registration at Kamailio (digest, refresh, calls to the registered contact)', () => {
  let kamailio: Kamailio | undefined;
  let gw: TestGateway | undefined;

  beforeAll(async () => {
    kamailio = await startKamailio({ realm: 'kamailio.test', username: 'alice', password: ENV.KAMAILIO_PASS, maxExpiresS: 10 });
    gw = await startTestGateway(
      {
        numbers: { [NUMBER]: { agent: 'echo' } },
        trunks: [{ name: 'kamailio', register: { host: '127.0.0.1', port: kamailio.port, user: NUMBER, domain: 'kamailio.test', auth: { username: 'alice', passwordEnv: 'KAMAILIO_PASS' } } }],
      },
      { env: ENV },
    );
  }, 20_000);

  afterAll(async () => {
    await gw?.close();
    await kamailio?.close();
  });

  it('registers with digest, is refreshed before the 10 s granted run out, and shows in /metrics', async () => {
    if (!gw || !kamailio) throw new Error('setup failed');
    const k = kamailio;
    const registrations = gw.gateway.registrations;
    await waitFor(() => registrations.list()[0]?.state === 'registered', 5_000, () => JSON.stringify(registrations.list()));
    const first = registrations.list()[0];
    expect(first).toMatchObject({ trunk: 'kamailio', aor: `sip:${NUMBER}@kamailio.test`, grantedExpiresS: 10, failures: 0 });
    expect(first?.contact).toMatch(/^sip:pb-[0-9a-f]{16}@127\.0\.0\.1:\d+$/);
    // Kamailio logs the binding on stderr; the pipe may deliver that line after its 200 reached us.
    await waitFor(() => k.registrations().length >= 1, 2_000, () => k.log().slice(-1500));
    expect(k.registrations()).toHaveLength(1);

    const metrics = await gw.metrics();
    expect(metrics).toContain(`${METRIC.trunkRegistrationState}{trunk="kamailio",state="registered"} 1`);
    expect(metrics).toContain(`${METRIC.trunkRegistrationState}{trunk="kamailio",state="failed"} 0`);

    // The refresh: a second accepted REGISTER before the first binding's 10 s are over.
    await waitFor(() => k.registrations().length >= 2, 9_000, () => k.log().slice(-1500));
    const [a, b] = k.registrations();
    if (!a || !b) throw new Error('no refresh');
    expect(b.atMs - a.atMs).toBeLessThan(10_000);
    expect(b.atMs - a.atMs).toBeGreaterThan(3_000); // not at once: at about half the granted 10 s
    expect(b.cseq).toBeGreaterThan(a.cseq);
    const refreshed = registrations.list()[0];
    expect(refreshed?.state).toBe('registered');
    expect(refreshed?.expiresAt).toBeGreaterThan(first?.expiresAt ?? Infinity);
  }, 20_000);

  it('a call to the AOR at Kamailio is relayed to our contact, admitted for the trunk, and the echo agent answers', async () => {
    if (!gw || !kamailio) throw new Error('setup failed');
    const caller = await SipCaller.call({ host: '127.0.0.1', port: kamailio.port, to: NUMBER, answerTimeoutMs: 5_000 });
    try {
      expect(kamailio.log()).toMatch(/PB-RELAY sip:pb-[0-9a-f]{16}@127\.0\.0\.1:\d+/);
      await caller.sendAudio(sine(8_000, 440, -20, 1_000));
      await waitFor(() => caller.received.length >= 25, 3_000, () => `${caller.received.length} RTP packets back`);
      expect(await caller.bye()).toBe(200);
    } finally {
      caller.close();
    }
    await gw.waitForIdle(5_000);
  }, 20_000);

  it('un-registers on shutdown (Expires: 0)', async () => {
    if (!gw || !kamailio) throw new Error('setup failed');
    const before = kamailio.registrations().length;
    await gw.close();
    const k = kamailio;
    await waitFor(() => k.registrations().length > before, 3_000, () => k.log().slice(-1500));
    expect(k.registrations().at(-1)?.expires).toBe('0');
    expect(gw.gateway.registrations.list()[0]?.state).toBe('unregistered');
  }, 10_000);
});

/** A registrar that answers every REGISTER with what `answer` says; records each request. */
class ScriptedRegistrar {
  readonly requests: SipMessage[] = [];
  private constructor(
    private readonly socket: Socket,
    readonly port: number,
  ) {}

  static async start(answer: (req: SipMessage) => { status: string; headers?: string[] }): Promise<ScriptedRegistrar> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    const registrar = new ScriptedRegistrar(socket, socket.address().port);
    socket.on('message', (buf, rinfo) => {
      const req = parseSip(buf.toString('utf8'));
      if (!req || req.method !== 'REGISTER') return;
      registrar.requests.push(req);
      const { status, headers = [] } = answer(req);
      const copy = ['via', 'from', 'call-id', 'cseq'].map((n) => `${canonical(n)}: ${header(req, n) ?? ''}`);
      const res = [`SIP/2.0 ${status}`, ...copy, `To: ${header(req, 'to') ?? ''};tag=reg`, ...headers, 'Content-Length: 0', '', ''].join('\r\n');
      socket.send(res, rinfo.port, rinfo.address);
    });
    return registrar;
  }

  close(): void {
    this.socket.close();
  }
}

describe('registration failures against a scripted registrar', () => {
  it('403: failed with the status, next attempt after a backoff of 2.5 to 5 s', async () => {
    const registrar = await ScriptedRegistrar.start(() => ({ status: '403 Forbidden' }));
    const gw = await startTestGateway({ trunks: [{ name: 'refuses', register: { host: '127.0.0.1', port: registrar.port, user: 'bob' } }] });
    try {
      const list = (): ReturnType<typeof gw.gateway.registrations.list> => gw.gateway.registrations.list();
      await waitFor(() => list()[0]?.state === 'failed', 5_000, () => JSON.stringify(list()));
      const status = list()[0];
      expect(status).toMatchObject({ lastStatus: 403, lastError: 'REGISTRATION_REFUSED', failures: 1 });
      const waitMs = (status?.nextAttemptAt ?? 0) - Date.now();
      expect(waitMs).toBeGreaterThan(2_000);
      expect(waitMs).toBeLessThanOrEqual(5_000);
      expect(registrar.requests).toHaveLength(1);
      expect(await gw.metrics()).toContain(`${METRIC.trunkRegistrationState}{trunk="refuses",state="failed"} 1`);
    } finally {
      await gw.close();
      registrar.close();
    }
    expect(registrar.requests).toHaveLength(1); // never bound: nothing to un-register
  }, 15_000);

  it('423: asks again at once with Min-Expires, and holds the registration it grants', async () => {
    const registrar = await ScriptedRegistrar.start((req) => {
      const expires = Number(header(req, 'expires'));
      if (expires !== 0 && expires < 600) return { status: '423 Interval Too Brief', headers: ['Min-Expires: 600'] };
      return { status: '200 OK', headers: [`Contact: ${header(req, 'contact') ?? ''};expires=${expires}`] };
    });
    const gw = await startTestGateway({ trunks: [{ name: 'brief', register: { host: '127.0.0.1', port: registrar.port, user: 'bob', expiresS: 60 } }] });
    try {
      await waitFor(() => gw.gateway.registrations.list()[0]?.state === 'registered', 5_000, () => JSON.stringify(gw.gateway.registrations.list()));
      expect(registrar.requests.map((r) => header(r, 'expires'))).toEqual(['60', '600']);
      expect(gw.gateway.registrations.list()[0]).toMatchObject({ grantedExpiresS: 600, failures: 0 });
    } finally {
      await gw.close();
      registrar.close();
    }
    expect(registrar.requests.map((r) => header(r, 'expires')).at(-1)).toBe('0');
  }, 15_000);
});
