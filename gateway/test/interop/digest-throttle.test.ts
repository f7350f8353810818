/**
 * Digest authentication seen from the network (issue 11, conformance: digest). A trunk authenticates by digest
 * alone; scripted UACs on 127.0.0.x answer its challenges with credentials computed here.
 *
 * - An unknown username and a wrong password get byte-identical status lines and the same headers (but for the
 *   values a response must echo or mint: tags, branch, Call-ID, CSeq): no username oracle.
 * - After `maxFailures` wrong passwords from one address, even the right password is refused, with that same 403,
 *   until the lockout has run its course; then it is accepted. Another address is unaffected meanwhile.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DigestClient, type Received } from '../helpers/digest-client.js';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';

const NUMBER = '+15550100001';
const USER = 'carrier-a';
const PASSWORD = 'correct horse battery staple';
const MAX_FAILURES = 5;
const LOCKOUT_MS = 2_000;

let gw: TestGateway;
const clients: DigestClient[] = [];

beforeAll(async () => {
  gw = await startTestGateway({
    numbers: { '*': { agent: 'echo' } },
    sip: { authThrottle: { maxFailures: MAX_FAILURES, windowMs: 60_000, lockoutMs: LOCKOUT_MS } },
    trunks: [{ name: 'roaming', allow: [], auth: { username: USER, password: PASSWORD, algorithms: ['MD5'] } }],
  });
}, 15_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await gw?.close();
});

async function client(localAddress: string): Promise<DigestClient> {
  const c = await DigestClient.open({ localAddress, host: gw.host, port: gw.sipPort, number: NUMBER });
  clients.push(c);
  return c;
}

/** A response's headers in order, without the values a response echoes or mints per request. */
function headerShape(r: Received): string[] {
  return r.message.headers.map(([name, value]) => {
    switch (name) {
      case 'via':
        return `${name}: ${value.replace(/;branch=[^;,\s]+/, ';branch=*').replace(/:\d+;/, ':*;').replace(/;rport=\d+/, ';rport=*')}`;
      case 'to':
        return `${name}: ${value.replace(/;tag=[^;,\s]+/, ';tag=*')}`;
      case 'from':
        return `${name}: ${value.replace(/;tag=[^;,\s]+/, ';tag=*')}`;
      case 'call-id':
        return `${name}: *`;
      default:
        return `${name}: ${value}`;
    }
  });
}

async function gatewayStats(): Promise<{ auth?: { lockouts?: number; failures?: Record<string, number> } }> {
  const response = await fetch(`http://127.0.0.1:${gw.adminPort}/stats`, { signal: AbortSignal.timeout(5_000) });
  return (await response.json()) as { auth?: { lockouts?: number; failures?: Record<string, number> } };
}

describe('digest authentication over UDP', () => {
  test('an unknown user and a wrong password get the same status line and the same headers', async () => {
    const prober = await client('127.0.0.3');
    const unknown = await prober.attempt('no-such-user', PASSWORD);
    const wrong = await prober.attempt(USER, 'wrong password');
    expect(unknown.final.message.status).toBe(403);
    expect(unknown.final.message.firstLine).toBe(wrong.final.message.firstLine);
    expect(Buffer.from(unknown.final.message.firstLine)).toEqual(Buffer.from(wrong.final.message.firstLine));
    expect(headerShape(unknown.final)).toEqual(headerShape(wrong.final));
    // Neither the reason phrase nor any header names the cause.
    expect(unknown.final.raw).not.toMatch(/unknown-user|bad-response|\(/);
    // The cause is kept for the operator.
    const stats = await gatewayStats();
    expect(stats.auth?.failures?.['unknown-user']).toBeGreaterThanOrEqual(1);
    expect(stats.auth?.failures?.['bad-response']).toBeGreaterThanOrEqual(1);
  }, 15_000);

  test('after maxFailures wrong passwords, the right one is refused alike until the lockout ends; other sources are unaffected', async () => {
    const attacker = await client('127.0.0.1');
    const bystander = await client('127.0.0.2');

    let lastGuess: Awaited<ReturnType<DigestClient['attempt']>> | undefined;
    for (let i = 0; i < MAX_FAILURES; i++) {
      lastGuess = await attacker.attempt(USER, `guess-${i}`);
      expect(lastGuess.final.message.status, `guess ${i}`).toBe(403);
    }
    if (lastGuess === undefined) throw new Error('no guess made');

    // Locked out: the right password gets exactly the answer a wrong one gets.
    const refused = await attacker.attempt(USER, PASSWORD);
    expect(refused.final.message.firstLine).toBe(lastGuess.final.message.firstLine);
    expect(headerShape(refused.final)).toEqual(headerShape(lastGuess.final));

    // Another source, during the lockout: admitted.
    const other = await bystander.attempt(USER, PASSWORD);
    expect(other.final.message.status).toBe(200);
    expect(refused.receivedAtMs - lastGuess.sentAtMs).toBeLessThan(LOCKOUT_MS); // the refusal above was within it

    const stats = await gatewayStats();
    expect(stats.auth?.lockouts).toBe(1);
    expect(stats.auth?.failures?.['locked-out']).toBeGreaterThanOrEqual(1);
    const metrics = await gw.metrics();
    expect(metrics).toMatch(/^patchbay_sip_auth_lockouts_total 1$/m);
    expect(metrics).toMatch(/^patchbay_sip_auth_failures_total\{reason="locked-out"\} [1-9]\d*$/m);

    // The right password again until it is accepted: not before the lockout (begun at the last guess) has ended.
    let accepted: Awaited<ReturnType<DigestClient['attempt']>> | undefined;
    let refusals = 0;
    await waitFor(
      async () => {
        const r = await attacker.attempt(USER, PASSWORD);
        if (r.final.message.status === 200) accepted = r;
        else {
          expect(r.final.message.firstLine).toBe(lastGuess.final.message.firstLine);
          refusals++;
        }
        return accepted !== undefined;
      },
      LOCKOUT_MS + 8_000,
      () => `still refused after ${refusals} attempts`,
    );
    if (accepted === undefined) throw new Error('not accepted');
    expect(accepted.receivedAtMs - lastGuess.sentAtMs).toBeGreaterThanOrEqual(LOCKOUT_MS);
    expect(refusals).toBeGreaterThan(0);
    await gw.waitForIdle();
  }, 20_000);
});
