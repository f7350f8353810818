/** `/v1/webhooks/deliveries` over a real outbox (in-memory SQLite): filters, cursor pages, attempts, replay, errors, OpenAPI. */
import { validate } from '@readme/openapi-parser';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallEvents } from '../call/events.js';
import { parseConfig } from '../config.js';
import { createHttpServer } from '../http/server.js';
import { openMemoryStore } from '../store/testing.js';
import type { Store } from '../store/types.js';
import { startWebhooks, type RunningWebhooks } from '../webhooks/index.js';
import { DELIVERY_WRITE_KIND, type DeliveryOp } from '../webhooks/outbox.js';
import { testCall } from '../webhooks/testing.js';
import { FakeCallControl } from '../../test/helpers/fake-call-control.js';
import { startWebhookReceiver, TEST_SECRET, type WebhookReceiver } from '../../test/helpers/webhook-receiver.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import { ApiAccess } from './auth.js';

const KEY = 'k'.repeat(24);
let app: FastifyInstance;
let store: Store;
let hooks: RunningWebhooks;
let receiver: WebhookReceiver;
let liveId = '';

beforeAll(async () => {
  receiver = await startWebhookReceiver(TEST_SECRET, ({ nth }) => ({ status: nth === 1 ? 502 : 200 }));
  const env = { S: TEST_SECRET };
  const config = parseConfig({ numbers: { '*': { agent: 'echo' } }, webhooks: { endpoints: [{ name: 'crm', url: `${receiver.url}?token=secret`, secretEnv: 'S' }], retry: { initialDelayMs: 20, maxDelayMs: 40 } } }, env);
  store = await openMemoryStore();
  const events = new CallEvents();
  hooks = startWebhooks({ config: config.webhooks, numbers: config.numbers, env, store, events });
  // 30 parked deliveries (an endpoint no worker serves), 10 per type, created 1 ms apart, for pages and filters.
  const types = ['call.ringing', 'call.answered', 'call.ended'] as const;
  for (let i = 0; i < 30; i++) {
    const op: DeliveryOp = { id: `msg_${String(i).padStart(4, '0')}`, eventType: types[i % 3] ?? 'call.ringing', endpoint: 'parked', url: 'http://127.0.0.1:9/x', callId: `call-${i % 5}`, payload: JSON.stringify({ i }), createdAt: 1_700_000_000_000 + i };
    store.writer.enqueue({ kind: DELIVERY_WRITE_KIND, data: op });
  }
  await store.flush();
  events.emit({ type: 'answered', call: testCall(config, 'live-1', '*', '+15550100001') });
  await waitFor(() => receiver.delivered.size === 1, 5_000);
  liveId = receiver.requests[0]?.id ?? '';
  await waitFor(async () => (await hooks.deliveries.get(liveId))?.status === 'delivered', 2_000);
  app = createHttpServer(
    { activeCalls: () => 0, sipListening: () => true },
    { access: new ApiAccess([{ name: 'one', key: KEY }]), api: { control: new FakeCallControl(), callsPerMinute: 100, webhooks: hooks.deliveries } },
  );
  await app.ready();
});

afterAll(async () => {
  await app.close();
  await hooks.close();
  await store.close();
  await receiver.close();
});

const get = async (url: string, key: string | null = KEY) => {
  const res = await app.inject({ method: 'GET', url, headers: key === null ? {} : { authorization: `Bearer ${key}` }, remoteAddress: '192.0.2.1' });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> & { deliveries: { id: string; eventType: string; callId: string }[]; next: string | null } };
};

describe('GET /v1/webhooks/deliveries', () => {
  it('pages newest first through every delivery with the cursor, no repeats, no gaps', async () => {
    const seen: string[] = [];
    let url = '/v1/webhooks/deliveries?limit=7&endpoint=parked';
    for (let page = 0; page < 10; page++) {
      const { status, body } = await get(url);
      expect(status).toBe(200);
      seen.push(...body.deliveries.map((d) => d.id));
      if (body.next === null) break;
      url = `/v1/webhooks/deliveries?limit=7&endpoint=parked&cursor=${body.next}`;
    }
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => `msg_${String(29 - i).padStart(4, '0')}`));
  });

  it('filters by status, type, callId and endpoint (all must match)', async () => {
    const byType = await get('/v1/webhooks/deliveries?type=call.ended&callId=call-2&limit=100');
    expect(byType.body.deliveries.map((d) => d.id)).toEqual(['msg_0017', 'msg_0002']);
    const delivered = await get('/v1/webhooks/deliveries?status=delivered');
    expect(delivered.body.deliveries).toMatchObject([{ id: liveId, endpoint: 'crm', status: 'delivered', attempts: 2, callId: 'live-1', url: receiver.url }]);
    expect((await get('/v1/webhooks/deliveries?status=pending&endpoint=crm')).body.deliveries).toEqual([]);
  });

  it('refuses a bad cursor, status or type with VALIDATION_FAILED, and a missing key', async () => {
    for (const q of ['cursor=bm9wZQ', 'status=lost', 'type=call.started', 'limit=0']) {
      const { status, body } = await get(`/v1/webhooks/deliveries?${q}`);
      expect(status, q).toBe(400);
      expect(body['code'], q).toBe('VALIDATION_FAILED');
    }
    expect((await get('/v1/webhooks/deliveries', null)).body['code']).toBe('API_KEY_MISSING');
  });
});

describe('GET /v1/webhooks/deliveries/{id} and replay', () => {
  it('shows the payload and every attempt', async () => {
    const { status, body } = await get(`/v1/webhooks/deliveries/${liveId}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: liveId, eventType: 'call.answered', payload: { type: 'call.answered', data: { id: 'live-1' } } });
    expect((body['attemptList'] as { statusCode: number; error: string | null }[]).map((a) => [a.statusCode, a.error])).toEqual([[502, 'bad_status'], [200, null]]);
  });

  it('replay answers 202 and the receiver gets the same webhook-id again, recorded as attempt 3', async () => {
    const res = await app.inject({ method: 'POST', url: `/v1/webhooks/deliveries/${liveId}/replay`, headers: { authorization: `Bearer ${KEY}` } });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ id: liveId, status: 'pending' });
    await waitFor(() => receiver.requests.length === 3, 5_000);
    expect(receiver.requests[2]?.id).toBe(liveId);
    await waitFor(async () => (await hooks.deliveries.get(liveId))?.attempts === 3, 2_000);
    expect((await get(`/v1/webhooks/deliveries/${liveId}`)).body['status']).toBe('delivered');
  });

  it('answers DELIVERY_NOT_FOUND for an unknown id', async () => {
    expect((await get('/v1/webhooks/deliveries/msg_nope')).body).toMatchObject({ status: 404, code: 'DELIVERY_NOT_FOUND' });
    const res = await app.inject({ method: 'POST', url: '/v1/webhooks/deliveries/msg_nope/replay', headers: { authorization: `Bearer ${KEY}` } });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'DELIVERY_NOT_FOUND' });
  });
});

describe('OpenAPI with the webhook routes', () => {
  it('stays a valid 3.1 document and lists the three routes', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const result = await validate(structuredClone(doc) as Parameters<typeof validate>[0]);
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(Object.keys(doc.paths['/v1/webhooks/deliveries'] ?? {})).toEqual(['get']);
    expect(Object.keys(doc.paths['/v1/webhooks/deliveries/{id}'] ?? {})).toEqual(['get']);
    expect(Object.keys(doc.paths['/v1/webhooks/deliveries/{id}/replay'] ?? {})).toEqual(['post']);
  });
});
