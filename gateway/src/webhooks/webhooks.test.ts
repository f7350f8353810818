/**
 * Webhooks end to end inside one process: call events → outbox rows in a real store (in-memory SQLite, and a real
 * PostgreSQL) → the worker → signed POSTs to a real receiver on loopback that verifies them with `standardwebhooks`.
 * Retries, timeout, give-up, per-endpoint concurrency, replay, workers sharing one database (on PostgreSQL each with
 * its own pool, as gateways are), and which endpoints get what.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CallEvents } from '../call/events.js';
import { parseConfig, type Config } from '../config.js';
import { webhooksSchema } from '../config-webhooks.js';
import { openMemoryStore } from '../store/testing.js';
import { closeTestStores, testStoreEngines } from '../../test/support/test-stores.js';
import type { Store } from '../store/types.js';
import { startWebhookReceiver, TEST_SECRET, type Behaviour, type WebhookReceiver } from '../../test/helpers/webhook-receiver.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import { DELIVERY_WRITE_KIND } from './outbox.js';
import { startWebhooks, type RunningWebhooks } from './index.js';
import { FakeRecordSource, testCall, testRecord } from './testing.js';

const ENV = { HOOK_SECRET: TEST_SECRET, OTHER_SECRET: TEST_SECRET };

interface Rig {
  store: Store;
  events: CallEvents;
  records: FakeRecordSource;
  receiver: WebhookReceiver;
  hooks: RunningWebhooks;
  config: Config;
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});
afterAll(closeTestStores, 20_000);

/** The store a rig opens when the test passes none (the engine under test). */
let openStore: () => Promise<Store> = openMemoryStore;

async function rig(webhooks: Record<string, unknown>, behave?: (r: { id: string; nth: number }) => Behaviour, numbers?: Record<string, unknown>, store?: Store): Promise<Rig> {
  const receiver = await startWebhookReceiver(TEST_SECRET, behave);
  cleanup.push(() => receiver.close());
  const raw = JSON.parse(JSON.stringify(webhooks).replaceAll('RECEIVER', receiver.url)) as Record<string, unknown>;
  const rawNumbers = JSON.parse(JSON.stringify(numbers ?? { '+15550100001': { agent: 'echo' }, '*': { agent: 'demo' } }).replaceAll('RECEIVER', receiver.url)) as Record<string, unknown>;
  const config = parseConfig({ numbers: rawNumbers, webhooks: raw }, ENV);
  const s = store ?? (await openStore());
  if (store === undefined) cleanup.push(() => s.close());
  const events = new CallEvents();
  const records = new FakeRecordSource();
  const hooks = startWebhooks({ config: config.webhooks, numbers: config.numbers, env: ENV, store: s, events, records });
  cleanup.push(() => hooks.close());
  return { store: s, events, records, receiver, hooks, config };
}

const endpoint = (extra: Record<string, unknown> = {}) => ({ name: 'crm', url: 'RECEIVER', secretEnv: 'HOOK_SECRET', ...extra });
const fast = { initialDelayMs: 40, maxDelayMs: 400, giveUpAfterMs: 60_000 };

describe.each(testStoreEngines())('webhooks on $name', ({ name, open, share }) => {
  beforeAll(() => {
    openStore = open;
  });

  it('signs every event; the receiver verifies each with standardwebhooks; new events go out at once, not on the poll', async () => {
    const r = await rig({ endpoints: [endpoint()], pollIntervalMs: 60_000 });
    const call = testCall(r.config, 'c1', '+15550100001');
    call.times.ringingAt = call.times.createdAt + 5;
    const sentAt = performance.now();
    r.events.emit({ type: 'ringing', call });
    await waitFor(() => r.receiver.requests.length === 1, 5_000);
    const latencyMs = (r.receiver.requests[0]?.atMs ?? 0) - sentAt;
    console.log(`[webhooks] call.ringing emitted → received: ${latencyMs.toFixed(1)} ms (poll interval 60 s: the wake-up delivered it)`);
    call.times.answeredAt = call.times.createdAt + 10;
    r.events.emit({ type: 'answered', call });
    r.events.emit({ type: 'transferred', call });
    r.records.emit(testRecord(call));
    await waitFor(() => r.receiver.requests.length === 4, 5_000);
    expect(r.receiver.requests.every((q) => q.verified && q.status === 204)).toBe(true);
    const bodies = r.receiver.requests.map((q) => JSON.parse(q.body) as { type: string; timestamp: string; data: { id: string; transcript?: unknown[] } });
    expect(bodies.map((b) => b.type)).toEqual(['call.ringing', 'call.answered', 'call.transferred', 'call.ended']);
    expect(bodies.every((b) => b.data.id === 'c1')).toBe(true);
    expect(bodies[0]?.timestamp).toBe(new Date(call.times.ringingAt).toISOString());
    expect(bodies[3]?.data.transcript).toHaveLength(1);
    expect(new Set(r.receiver.requests.map((q) => q.id)).size).toBe(4);
    expect(r.receiver.requests.every((q) => /^msg_[0-9a-f]{32}$/.test(q.id))).toBe(true);
    // A signature made with another secret is refused by the same verifier (the check can fail).
    const forged = await fetch(r.receiver.url, { method: 'POST', body: '{}', headers: { 'webhook-id': 'msg_x', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAA' } });
    expect(forged.status).toBe(401);
  });

  it('a receiver failing the first 3 tries: retried with growing waits, delivered once, every attempt recorded', async () => {
    const r = await rig({ endpoints: [endpoint()], retry: fast }, ({ nth }) => ({ status: nth <= 3 ? 500 : 200 }));
    r.events.emit({ type: 'ringing', call: testCall(r.config, 'c2', '+15550100001') });
    await waitFor(() => r.receiver.delivered.size === 1, 10_000);
    const times = r.receiver.requests.map((q) => q.atMs);
    expect(r.receiver.requests.map((q) => q.status)).toEqual([500, 500, 500, 200]);
    expect(new Set(r.receiver.requests.map((q) => q.id)).size).toBe(1); // same webhook-id on every try
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
    // Try n waits at least initialDelayMs; the caps grow 40 → 80 → 160 ms, so the waits, drawn in them, can grow.
    expect(gaps.every((g) => g >= fast.initialDelayMs - 2)).toBe(true);
    const id = r.receiver.requests[0]?.id ?? '';
    await waitFor(async () => (await r.hooks.deliveries.get(id))?.status === 'delivered', 2_000);
    const d = await r.hooks.deliveries.get(id);
    expect(d?.attempts).toBe(4);
    expect(d?.attemptList.map((a) => [a.attempt, a.statusCode, a.error])).toEqual([[1, 500, 'bad_status'], [2, 500, 'bad_status'], [3, 500, 'bad_status'], [4, 200, null]]);
    expect(r.receiver.delivered.get(id)).toBe(1);
  });

  it('waits grow with the attempt number (random fixed at its top: the caps themselves)', async () => {
    const receiver = await startWebhookReceiver(TEST_SECRET, ({ nth }) => ({ status: nth <= 4 ? 503 : 204 }));
    cleanup.push(() => receiver.close());
    // A poll far longer than the waits: each retry must come at its own due time, not on the next poll.
    const config = parseConfig({ numbers: { '*': { agent: 'echo' } }, webhooks: { endpoints: [{ name: 'a', url: receiver.url, secretEnv: 'HOOK_SECRET' }], retry: fast, pollIntervalMs: 60_000 } }, ENV);
    const store = await open();
    cleanup.push(() => store.close());
    const events = new CallEvents();
    const hooks = startWebhooks({ config: config.webhooks, numbers: config.numbers, env: ENV, store, events, random: () => 0.999 });
    cleanup.push(() => hooks.close());
    events.emit({ type: 'ringing', call: testCall(config, 'c3', '*', '+15550111111') });
    await waitFor(() => receiver.delivered.size === 1, 10_000);
    const t = receiver.requests.map((q) => q.atMs);
    const gaps = t.slice(1).map((x, i) => x - (t[i] ?? 0));
    expect(gaps).toHaveLength(4);
    // caps 40, 80, 160, 320 ms: each wait at least ~its cap, so strictly growing.
    [40, 80, 160, 320].forEach((cap, i) => expect(gaps[i]).toBeGreaterThanOrEqual(cap * 0.99 - 2));
    expect(gaps[3]).toBeGreaterThan(gaps[0] ?? Infinity);
    for (const gap of gaps) expect(gap).toBeLessThan(5_000);
  });

  it('a receiver that never answers: the try ends at timeoutMs (error timeout, no status); past giveUpAfterMs it fails', async () => {
    const r = await rig({ endpoints: [endpoint()], timeoutMs: 150, retry: { initialDelayMs: 20, maxDelayMs: 50, giveUpAfterMs: 500 } }, () => ({ hang: true }));
    r.events.emit({ type: 'ringing', call: testCall(r.config, 'c4', '+15550100001') });
    const list = async () => (await r.hooks.deliveries.list({ limit: 10 })).deliveries;
    await waitFor(async () => (await list())[0]?.status === 'failed', 10_000);
    const [one] = await list();
    const d = await r.hooks.deliveries.get(one?.id ?? '');
    expect(d?.attemptList.length).toBeGreaterThanOrEqual(2);
    for (const a of d?.attemptList ?? []) {
      expect(a.error).toBe('timeout');
      expect(a.statusCode).toBeNull();
      expect(a.durationMs).toBeGreaterThanOrEqual(140);
      expect(a.durationMs).toBeLessThan(1_000);
    }
    expect(r.hooks.stats().failed).toBe(1);
  });

  it('never more than maxConcurrentPerEndpoint POSTs in flight to one endpoint (and it is reached)', async () => {
    const r = await rig({ endpoints: [endpoint()], maxConcurrentPerEndpoint: 3 }, () => ({ delayMs: 60 }));
    for (let i = 0; i < 12; i++) r.events.emit({ type: 'ringing', call: testCall(r.config, `k${i}`, '+15550100001') });
    await waitFor(() => r.receiver.delivered.size === 12, 10_000);
    expect(r.receiver.peakConcurrent).toBe(3);
    expect(r.hooks.stats().peakInFlight).toBe(3);
    expect([...r.receiver.delivered.values()].every((n) => n === 1)).toBe(true);
  });

  it('replay sends a delivered event again now, with the same webhook-id, as a new attempt', async () => {
    const r = await rig({ endpoints: [endpoint()] });
    r.events.emit({ type: 'answered', call: testCall(r.config, 'c5', '+15550100001') });
    await waitFor(() => r.receiver.delivered.size === 1, 5_000);
    const id = r.receiver.requests[0]?.id ?? '';
    await waitFor(async () => (await r.hooks.deliveries.get(id))?.status === 'delivered', 2_000);
    expect((await r.hooks.deliveries.replay(id))?.status).toBe('pending');
    await waitFor(() => r.receiver.requests.length === 2, 5_000);
    expect(r.receiver.requests[1]?.id).toBe(id);
    expect(r.receiver.requests[1]?.body).toBe(r.receiver.requests[0]?.body);
    await waitFor(async () => (await r.hooks.deliveries.get(id))?.attempts === 2, 2_000);
    expect((await r.hooks.deliveries.get(id))?.attemptList.map((a) => a.statusCode)).toEqual([204, 204]);
    expect(await r.hooks.deliveries.replay('msg_none')).toBeUndefined();
  });

  it('two workers on one database: each delivery is claimed and sent by one of them only', async () => {
    const store = await open();
    cleanup.push(() => store.close());
    const other = await share(store);
    cleanup.push(() => other.close());
    const a = await rig({ endpoints: [endpoint()], maxConcurrentPerEndpoint: 4, pollIntervalMs: 20 }, () => ({ delayMs: 30 }), undefined, store);
    const b = startWebhooks({ config: a.config.webhooks, numbers: a.config.numbers, env: ENV, store: other, events: new CallEvents(), gatewayId: 'other' });
    cleanup.push(() => b.close());
    for (let i = 0; i < 24; i++) a.events.emit({ type: 'ringing', call: testCall(a.config, `s${i}`, '+15550100001') });
    await waitFor(() => a.receiver.delivered.size === 24, 10_000);
    await waitFor(() => a.hooks.stats().delivered + b.stats().delivered === 24, 2_000);
    expect(a.receiver.requests).toHaveLength(24); // no id sent twice
    expect(b.stats().delivered).toBeGreaterThan(0); // both took part
    expect(a.hooks.stats().delivered).toBeGreaterThan(0);
  });

  it('three workers racing for 200 due deliveries: each id is POSTed exactly once, failed ones not retried early', async () => {
    const store = await open();
    cleanup.push(() => store.close());
    // Half the ids fail; their retry is a minute away, so any second POST of an id in this test is a double claim.
    const failing = (id: string): boolean => parseInt(id.slice(-1), 16) % 2 === 1;
    const slow = { initialDelayMs: 60_000, maxDelayMs: 60_000, giveUpAfterMs: 600_000 };
    const a = await rig({ endpoints: [endpoint()], maxConcurrentPerEndpoint: 16, pollIntervalMs: 10, retry: slow }, ({ id }) => ({ status: failing(id) ? 500 : 204 }), undefined, store);
    const workers = [a.hooks];
    for (const gatewayId of ['b', 'c']) {
      const shared = await share(store);
      cleanup.push(() => shared.close());
      const w = startWebhooks({ config: a.config.webhooks, numbers: a.config.numbers, env: ENV, store: shared, events: new CallEvents(), gatewayId });
      cleanup.push(() => w.close());
      workers.push(w);
    }
    const N = 200;
    for (let i = 0; i < N; i++) a.events.emit({ type: 'ringing', call: testCall(a.config, `race${i}`, '+15550100001') });
    const attempts = () => workers.reduce((n, w) => n + w.stats().attempts, 0);
    const settled = async () => (await store.db.selectFrom('webhook_deliveries').select('id').where((w) => w.or([w('attempts', '=', 0), w('lease_owner', 'is not', null)])).execute()).length;
    await waitFor(async () => attempts() >= N && (await settled()) === 0, 20_000, () => `${attempts()} attempts recorded`);
    const perId = new Map<string, number>();
    for (const q of a.receiver.requests) perId.set(q.id, (perId.get(q.id) ?? 0) + 1);
    expect(perId.size).toBe(N);
    expect([...perId.entries()].filter(([, n]) => n > 1)).toEqual([]);
    expect(attempts()).toBe(N);
    expect(workers.filter((w) => w.stats().attempts > 0).length).toBeGreaterThan(1);
    const rows = await store.db.selectFrom('webhook_deliveries').select(['status', 'attempts', 'lease_owner']).execute();
    expect(rows.filter((r) => Number(r.attempts) !== 1 || r.lease_owner !== null)).toEqual([]);
    expect(rows.filter((r) => r.status === 'delivered').length).toBe([...perId.keys()].filter((id) => !failing(id)).length);
    console.log(`[webhooks] ${name}: 3 workers, ${N} deliveries: ${workers.map((w) => w.stats().attempts).join(' / ')} sent each, none twice`);
  }, 30_000);

  it('endpoints get only their events and numbers: global filters, a number\'s own webhook', async () => {
    const numbers = {
      '+15550100001': { agent: 'echo', webhooks: [{ url: 'RECEIVER?n=1', secretEnv: 'OTHER_SECRET', events: ['call.answered'] }] },
      '+1 555 0200*': { agent: 'echo' },
      '*': { agent: 'demo' },
    };
    const r = await rig({ endpoints: [endpoint({ events: ['call.ringing'], numbers: ['+15550200*'] })] }, undefined, numbers);
    r.events.emit({ type: 'ringing', call: testCall(r.config, 'n1', '+15550100001') }); // nobody
    r.events.emit({ type: 'answered', call: testCall(r.config, 'n2', '+15550100001') }); // the number's own
    r.events.emit({ type: 'ringing', call: testCall(r.config, 'n3', '+1 555 0200*', '+15550200123') }); // crm
    r.events.emit({ type: 'answered', call: testCall(r.config, 'n4', '*', '+15550300000') }); // nobody
    await waitFor(() => r.receiver.requests.length === 2, 5_000);
    const all = (await r.hooks.deliveries.list({ limit: 10 })).deliveries;
    expect(all.map((d) => [d.callId, d.endpoint, d.eventType]).sort()).toEqual([
      ['n2', 'number:+15550100001', 'call.answered'],
      ['n3', 'crm', 'call.ringing'],
    ]);
    expect(all.find((d) => d.callId === 'n2')?.url).toBe(r.receiver.url); // shown without its query
  });

  it('the applier is idempotent: the same op applied twice is one row', async () => {
    const store = await open();
    cleanup.push(() => store.close());
    const r = await rig({ endpoints: [endpoint()], pollIntervalMs: 60_000 }, () => ({ status: 500 }), undefined, store);
    const op = { id: 'msg_0123', eventType: 'call.ringing', endpoint: 'crm', url: r.receiver.url, callId: 'x', payload: '{}', createdAt: Date.now() + 60_000 };
    store.writer.enqueue({ kind: DELIVERY_WRITE_KIND, data: op });
    store.writer.enqueue({ kind: DELIVERY_WRITE_KIND, data: JSON.parse(JSON.stringify(op)) as unknown });
    await store.flush();
    expect((await r.hooks.deliveries.list({ limit: 10 })).deliveries.map((d) => d.id)).toEqual(['msg_0123']);
  });

});

describe('webhooks publishing', () => {
  it('costs microseconds in the emitting tick (figure printed)', async () => {
    const store = await openMemoryStore();
    cleanup.push(() => store.close());
    // The writer's own cost is the store's; here only ours: a writer that just collects.
    const ops: unknown[] = [];
    const collecting = { ...store, writer: { register: store.writer.register, enqueue: (op: unknown) => void ops.push(op) } };
    const r = await rig({ endpoints: [endpoint(), endpoint({ name: 'second' })], pollIntervalMs: 60_000 }, undefined, undefined, collecting);
    const calls = Array.from({ length: 2000 }, (_, i) => testCall(r.config, `p${i}`, '+15550100001'));
    for (const call of calls.slice(0, 200)) r.events.emit({ type: 'ringing', call }); // warm-up
    const t0 = performance.now();
    for (const call of calls) r.events.emit({ type: 'answered', call });
    const perEventUs = ((performance.now() - t0) * 1000) / calls.length;
    console.log(`[webhooks] publish (2 endpoints, summary payload): ${perEventUs.toFixed(1)} µs per event in the emitting tick`);
    expect(ops).toHaveLength(2 * 2200);
  });
});
