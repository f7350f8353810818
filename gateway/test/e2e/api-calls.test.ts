/**
 * The call-control API on a real gateway (startGateway, over the call core's control): a real SIP call to the
 * `echo` agent is listed by `GET /v1/calls`, refused a transfer outside the allow-list, transferred (REFER) to an
 * allowed target, and hung up (BYE) by `POST /v1/calls/{id}/hangup`. No key is configured: loopback clients only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { SipCaller } from '../helpers/sip-caller.js';

const NUMBER = '+15550100001';
const ALLOWED = '+14445550000';

let gw: TestGateway | undefined;
const callers: SipCaller[] = [];

beforeAll(async () => {
  gw = await startTestGateway({ numbers: { [NUMBER]: { agent: 'echo' } }, transfer: { allow: ['+1444'] } });
});
afterAll(async () => {
  for (const c of callers) await c.hangUp();
  await gw?.close();
});

function api(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  if (!gw) throw new Error('gateway did not start');
  const { json, ...rest } = init;
  return fetch(`http://127.0.0.1:${gw.httpPort}${path}`, {
    ...rest,
    ...(json === undefined ? {} : { body: JSON.stringify(json), headers: { 'content-type': 'application/json' } }),
    signal: AbortSignal.timeout(5_000),
  });
}

async function liveCalls(): Promise<{ id: string; status: string; direction: string; to: string; agent: unknown; codec?: string }[]> {
  // GET /v1/calls is the history: live calls and stored ended ones (`live` tells them apart).
  const res = await api('/v1/calls');
  expect(res.status).toBe(200);
  return ((await res.json()) as { calls: { id: string; live: boolean; status: string; direction: string; to: string; agent: unknown; codec?: string }[] }).calls.filter((c) => c.live);
}

describe('call-control API on a running gateway', () => {
  it('lists a live inbound call, refuses a transfer off the allow-list, hangs it up with a BYE', async () => {
    if (!gw) throw new Error('gateway did not start');
    const caller = await SipCaller.call({ host: gw.host, port: gw.sipPort, to: NUMBER });
    callers.push(caller);
    await waitFor(async () => (await liveCalls()).some((c) => c.status === 'answered'), 5_000);
    const [call] = await liveCalls();
    expect(call).toMatchObject({ direction: 'inbound', status: 'answered', to: NUMBER, agent: { kind: 'builtin', target: 'echo' }, codec: 'PCMU' });
    if (!call) throw new Error('no call');
    expect((await api(`/v1/calls/${call.id}`)).status).toBe(200);

    const refused = await api(`/v1/calls/${call.id}/transfer`, { method: 'POST', json: { target: '+19005550000' } });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: 'DESTINATION_NOT_ALLOWED' });
    expect(caller.hasEnded).toBe(false);

    const hangup = await api(`/v1/calls/${call.id}/hangup`, { method: 'POST' });
    expect(hangup.status).toBe(202);
    await caller.byeReceived;
    await gw.waitForIdle(5_000);
    expect(await liveCalls()).toEqual([]);
    // The ended call stays readable, with how it ended (the core keeps recent calls; records keep all).
    const ended = await api(`/v1/calls/${call.id}`);
    expect(ended.status).toBe(200);
    expect(await ended.json()).toMatchObject({ id: call.id, status: 'completed', disposition: 'completed', endReason: 'local-hangup' });
    expect((await api('/v1/calls/no-such-call')).status).toBe(404);
    expect((await gw.gateway.stats()).endReasons['local-hangup']).toBe(1);
  });

  it('transfers a call to an allowed target (REFER); placing a call needs an outbound trunk', async () => {
    if (!gw) throw new Error('gateway did not start');
    const caller = await SipCaller.call({ host: gw.host, port: gw.sipPort, to: NUMBER, refer: { notify: ['SIP/2.0 200 OK'] } });
    callers.push(caller);
    await waitFor(async () => (await liveCalls()).some((c) => c.status === 'answered'), 5_000);
    const [call] = await liveCalls();
    if (!call) throw new Error('no call');
    const res = await api(`/v1/calls/${call.id}/transfer`, { method: 'POST', json: { target: ALLOWED } });
    expect(res.status).toBe(202);
    const refer = caller.refer;
    if (!refer) throw new Error('no refer responder');
    await waitFor(() => refer.refers.length > 0, 5_000);
    await caller.byeReceived;
    await gw.waitForIdle(5_000);
    expect((await gw.gateway.stats()).endReasons['transferred']).toBe(1);

    // No trunk has an outbound side here: nothing to place the call through (test/interop/outbound-calls.test.ts places them).
    const place = await api('/v1/calls', { method: 'POST', json: { to: '+14445550001' } });
    expect(place.status).toBe(422);
    expect(await place.json()).toMatchObject({ code: 'TRUNK_UNKNOWN' });
    const trunks = await api('/v1/trunks');
    expect(await trunks.json()).toEqual({ trunks: [] });
  });
});
