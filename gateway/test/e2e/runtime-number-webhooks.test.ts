/**
 * Numbers added at runtime are whole numbers, end to end over HTTP: a number created with `PUT /v1/numbers` with its
 * own `webhooks` sends signed call.ringing/answered/ended to its endpoint for a real SIP call (a change or removal of
 * the key stops them for the next call); its secret is checked when the entry is made (400 naming the variable);
 * `POST /v1/calls` with `number` lends a runtime number's route (any spelling) to an outbound call to another
 * gateway; and a `webhook:` number without its own agent (its fallback) is refused with a message that says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallEvent } from '../../src/call/events.js';
import type { CallDetail } from '../../src/records/record.js';
import { openMemoryStore } from '../../src/store/testing.js';
import type { Store } from '../../src/store/types.js';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { SipCaller } from '../helpers/sip-caller.js';
import { startWebhookReceiver, TEST_SECRET, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const RUNTIME_NUMBER = '+15550100777';
const PATH = `/v1/numbers/${encodeURIComponent(RUNTIME_NUMBER)}`;

let gw: TestGateway;
let callee: TestGateway;
let store: Store;
let receiver: WebhookReceiver;
const events: Extract<CallEvent, { type: 'created' }>[] = [];
const records: CallDetail[] = [];

beforeAll(async () => {
  receiver = await startWebhookReceiver(TEST_SECRET);
  store = await openMemoryStore();
  callee = await startTestGateway({ numbers: { '*': { agent: 'echo' } } });
  gw = await startTestGateway(
    {
      numbers: { '+15550100001': { agent: 'echo' } },
      webhooks: { pollIntervalMs: 50 },
      trunks: [{ name: 'peer', outbound: { proxy: { host: '127.0.0.1', port: callee.sipPort }, allow: ['+1555'], codecs: ['PCMU'], callerId: { user: '+15550100001' } } }],
    },
    { store, env: { NUMBER_HOOK_SECRET: TEST_SECRET } },
  );
  gw.gateway.events.on('created', (e) => void events.push(e));
  gw.gateway.records.onRecord((d) => void records.push(d));
}, 30_000);

afterAll(async () => {
  await gw?.close();
  await callee?.close();
  await store?.close();
  await receiver?.close();
}, 30_000);

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${gw.httpPort}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(5_000),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** The id of the last call created to `to`. */
function lastCallTo(to: string): string {
  const created = events.filter((e) => e.call.plan.to === to).at(-1);
  if (created === undefined) throw new Error(`no call to ${to}`);
  return created.call.id;
}

/** Event types the receiver got for `callId`, verified ones only, in arrival order. */
function receivedFor(callId: string): string[] {
  return receiver.requests
    .filter((r) => r.verified)
    .map((r) => JSON.parse(r.body) as { type: string; data: { id: string } })
    .filter((b) => b.data.id === callId)
    .map((b) => b.type);
}

/** Waits for the call's record; then whatever the outbox queued for it is in the store. */
async function recorded(callId: string): Promise<void> {
  await waitFor(() => records.some((r) => r.id === callId), 8_000, () => `no record of ${callId}`);
  await store.flush();
}

async function deliveriesOf(callId: string): Promise<{ endpoint: string; event_type: string }[]> {
  return store.db.selectFrom('webhook_deliveries').select(['endpoint', 'event_type']).where('call_id', '=', callId).execute();
}

describe("a runtime number's own webhooks", () => {
  it('refuses a webhook whose secret is not set, naming the variable; nothing is stored', async () => {
    const bad = await api('PUT', PATH, { agent: 'echo', webhooks: [{ url: receiver.url, secretEnv: 'UNSET_HOOK_SECRET' }] });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'body.webhooks.0.secretEnv', message: 'environment variable UNSET_HOOK_SECRET is not set' }] });
    expect((await api('GET', PATH)).status).toBe(404);
  });

  it('a number created over HTTP with webhooks: its next call sends signed call.ringing, call.answered, call.ended', async () => {
    const created = await api('PUT', PATH, { agent: 'echo', ringing: true, webhooks: [{ url: receiver.url, secretEnv: 'NUMBER_HOOK_SECRET' }] });
    expect(created.status).toBe(201);
    const caller = await SipCaller.call({ host: gw.host, port: gw.sipPort, to: RUNTIME_NUMBER });
    const id = lastCallTo(RUNTIME_NUMBER);
    await caller.hangUp();
    await waitFor(() => receivedFor(id).length === 3, 10_000, () => `received ${JSON.stringify(receivedFor(id))}`);
    expect(receivedFor(id)).toEqual(['call.ringing', 'call.answered', 'call.ended']);
    expect(receiver.requests.every((r) => r.verified)).toBe(true);
    const ended = receiver.requests.map((r) => JSON.parse(r.body) as { type: string; data: CallDetail }).find((b) => b.type === 'call.ended' && b.data.id === id);
    expect(ended?.data).toMatchObject({ number: RUNTIME_NUMBER, routing: { source: 'numbers-api' } });
    // The delivery list names the number's endpoint.
    const list = await api('GET', `/v1/webhooks/deliveries?endpoint=${encodeURIComponent(`number:${RUNTIME_NUMBER}`)}`);
    expect(list.status).toBe(200);
    expect((list.json['deliveries'] as unknown[]).length).toBeGreaterThanOrEqual(3);
  }, 20_000);

  it('changed without webhooks, the next call sends none; given them back, the next call does again', async () => {
    expect((await api('PUT', PATH, { agent: 'echo' })).status).toBe(200);
    const quiet = await SipCaller.call({ host: gw.host, port: gw.sipPort, to: RUNTIME_NUMBER });
    const quietId = lastCallTo(RUNTIME_NUMBER);
    await quiet.hangUp();
    await recorded(quietId);
    expect(await deliveriesOf(quietId)).toEqual([]);

    expect((await api('PUT', PATH, { agent: 'echo', webhooks: [{ url: receiver.url, secretEnv: 'NUMBER_HOOK_SECRET', events: ['call.ended'] }] })).status).toBe(200);
    const loud = await SipCaller.call({ host: gw.host, port: gw.sipPort, to: RUNTIME_NUMBER });
    const loudId = lastCallTo(RUNTIME_NUMBER);
    await loud.hangUp();
    await waitFor(() => receivedFor(loudId).length === 1, 10_000, () => `received ${JSON.stringify(receivedFor(loudId))}`);
    expect(receivedFor(loudId)).toEqual(['call.ended']);
    expect(receivedFor(quietId)).toEqual([]);
  }, 20_000);
});

describe('POST /v1/calls with a runtime number', () => {
  it("lends the runtime number's route (any spelling) to an outbound call, which its webhooks report too", async () => {
    expect((await api('PUT', PATH, { agent: 'echo', parameters: { campaign: 'spring' }, webhooks: [{ url: receiver.url, secretEnv: 'NUMBER_HOOK_SECRET', events: ['call.answered'] }] })).status).toBe(200);
    const placed = await api('POST', '/v1/calls', { to: '+15550100002', trunk: 'peer', number: '+1 555 010 0777' });
    expect(placed.status).toBe(201);
    expect(placed.json).toMatchObject({ direction: 'outbound', number: RUNTIME_NUMBER, agent: { kind: 'builtin', target: 'echo' } });
    const id = String(placed.json['id']);
    await waitFor(() => receivedFor(id).includes('call.answered'), 10_000, () => `received ${JSON.stringify(receivedFor(id))}`);
    expect((await api('POST', `/v1/calls/${id}/hangup`)).status).toBe(202);
    const unknown = await api('POST', '/v1/calls', { to: '+15550100002', trunk: 'peer', number: '+15550100778' });
    expect(unknown).toMatchObject({ status: 422, json: { code: 'NUMBER_UNKNOWN' } });
    await gw.waitForIdle(5_000);
  }, 20_000);
});

describe('a routing-webhook number needs its own agent (the fallback)', () => {
  it('is refused over HTTP with a message that says why', async () => {
    const res = await api('PUT', '/v1/numbers/%2B15550100888', { webhook: { url: receiver.url } });
    expect(res.status).toBe(400);
    expect(res.json['errors']).toEqual([{ field: 'body.agent', message: "required: the agent that takes the call (a built-in name, a ws:// URL or an adapter block); with 'webhook:' too, as the fallback route" }]);
  });
});
