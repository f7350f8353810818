/**
 * A draining gateway keeps its trunk registration (docs/drain.md "Carriers and registrations"): with Kamailio as the
 * carrier's registrar granting 4 s, the REGISTER refreshes go on during the drain while a call relayed by the
 * registrar is up, the call's BYE still reaches us through the registrar, and only the close un-REGISTERs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { startKamailio, type Kamailio } from '../helpers/kamailio.js';
import { SipCaller } from '../helpers/sip-caller.js';

const NUMBER = '+15550100001';
const ENV = { KAMAILIO_PASS: 's3cret-Pa55' };

let kamailio: Kamailio | undefined;
let gw: TestGateway | undefined;

beforeAll(async () => {
  kamailio = await startKamailio({ realm: 'kamailio.test', username: 'alice', password: ENV.KAMAILIO_PASS, maxExpiresS: 4 });
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

describe('trunk registration during a drain', () => {
  it('refreshes while draining, carries the live call to its end, un-registers at the close', async () => {
    if (!gw || !kamailio) throw new Error('setup failed');
    const k = kamailio;
    const registrations = gw.gateway.registrations;
    await waitFor(() => registrations.list()[0]?.state === 'registered', 5_000, () => JSON.stringify(registrations.list()));
    const caller = await SipCaller.call({ host: '127.0.0.1', port: k.port, to: NUMBER, answerTimeoutMs: 5_000 });
    try {
      const drained = gw.gateway.drain();
      const atDrain = k.registrations().length;
      // Two refreshes of the 4 s binding while the drain waits for the call.
      await waitFor(() => k.registrations().length >= atDrain + 2, 8_000, () => k.log().slice(-1_500));
      const during = k.registrations().slice(atDrain);
      expect(during.every((r) => r.expires !== '0')).toBe(true);
      expect(registrations.list()[0]?.state).toBe('registered');
      expect(gw.gateway.drainState()).toMatchObject({ phase: 'draining', liveCalls: 1 });

      expect(await caller.bye()).toBe(200); // through the registrar, to the contact we still register
      expect(await drained).toBe('completed');
    } finally {
      caller.close();
    }
    const before = k.registrations().length;
    await gw.close();
    await waitFor(() => k.registrations().length > before, 3_000, () => k.log().slice(-1_500));
    expect(k.registrations().at(-1)?.expires).toBe('0');
  }, 30_000);
});
