import { pino } from 'pino';
import { waitFor } from '../../test/helpers/wait-for.js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import type { AdapterBlock, RuntimeAdapters } from '../media-plane/plane.js';
import { closeTestStores, testStoreEngines } from '../../test/support/test-stores.js';
import type { Store } from '../store/types.js';
import { NumberService } from './number-service.js';

const logger = pino({ level: 'silent' });
const adapter = { adapter: 'openai-realtime', apiKeyEnv: 'OPENAI_API_KEY', model: 'gpt-realtime' };

/** A media plane's adapter side that remembers what it holds. */
function fakePlane(): RuntimeAdapters & { held: Map<string, AdapterBlock> } {
  const held = new Map<string, AdapterBlock>();
  return { held, addAdapter: async (key, spec) => void held.set(key, spec), removeAdapter: (key) => void held.delete(key) };
}

const stores: Store[] = [];
const services: NumberService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) s.close();
  for (const s of stores.splice(0)) await s.close();
});
afterAll(closeTestStores, 20_000);

function service(store: Store | undefined, numbers: Record<string, unknown> = { '+15550100001': { agent: 'echo' } }, plane = fakePlane(), pollMs = 0): NumberService {
  const config = parseConfig({ numbers });
  const s = new NumberService({ numbers: config.numbers, defaultCountryCode: null, store, adapters: plane, env: { OPENAI_API_KEY: 'sk-test' }, sileroLoaded: false, logger, pollMs });
  services.push(s);
  return s;
}

describe.each(testStoreEngines())('NumberService on $name', ({ open, share }) => {
  it('a second gateway on the same database sees a change at its next poll', async () => {
    const store = await open();
    stores.push(store);
    const other = await share(store); // on PostgreSQL its own pool, as another gateway's
    stores.push(other);
    const a = service(store);
    const b = service(other);
    await a.start();
    await b.start();
    await a.put('+15550100777', { agent: 'demo' });
    expect(a.book.lookup('+15550100777')?.value.source).toBe('numbers-api');
    expect(b.book.lookup('+15550100777')).toBeUndefined();
    await b.refresh();
    expect(b.book.lookup('+15550100777')?.value.route.agent).toBe('demo');
    await a.remove('+15550100777');
    await b.refresh();
    expect(b.book.lookup('+15550100777')).toBeUndefined();
  });

  it('two gateways writing at once, each polling: both see all 20 numbers, and the same new number put by both at once is one entry', async () => {
    const store = await open();
    stores.push(store);
    const other = await share(store);
    stores.push(other);
    const a = service(store, undefined, undefined, 20);
    const b = service(other, undefined, undefined, 20);
    await a.start();
    await b.start();
    const numbers = Array.from({ length: 20 }, (_, i) => `+155502000${String(i).padStart(2, '0')}`);
    await Promise.all(numbers.map((n, i) => (i % 2 === 0 ? a : b).put(n, { agent: i % 3 === 0 ? 'demo' : 'echo' })));
    const seen = (s: NumberService) => numbers.filter((n) => s.book.lookup(n)?.value.source === 'numbers-api').length;
    await waitFor(() => seen(a) === 20 && seen(b) === 20, 5_000, () => `a sees ${seen(a)}, b sees ${seen(b)}`);
    await Promise.all([a.put('+15550300000', { agent: 'demo' }), b.put('+15550300000', { agent: 'echo' })]);
    const rows = await store.db.selectFrom('numbers').select(['pattern', 'version']).where('pattern', '=', '+15550300000').execute();
    expect(rows).toHaveLength(1);
    await waitFor(() => a.book.lookup('+15550300000')?.value.route.agent === b.book.lookup('+15550300000')?.value.route.agent, 5_000);
  });

  it('adds an adapter block where the media runs before the number routes, and removes it with the number', async () => {
    const store = await open();
    stores.push(store);
    const plane = fakePlane();
    const s = service(store, undefined, plane);
    await s.start();
    await s.put('+1555*', { agent: adapter });
    const key = s.book.lookup('+15550109999')?.value.adapterKey;
    expect(key).toMatch(/^openai-realtime#[0-9a-f]{16}$/);
    expect(plane.held.get(key ?? '')).toEqual(adapter);
    await s.remove('+1555*');
    expect(plane.held.size).toBe(0);
  });

  it('refuses a YAML pattern in any spelling, an invalid route, and an adapter missing its secret, changing nothing', async () => {
    const store = await open();
    stores.push(store);
    const s = service(store);
    await s.start();
    await expect(s.put('15550100001', { agent: 'demo' })).rejects.toMatchObject({ code: 'NUMBER_READ_ONLY' });
    await expect(s.put('+15550100002', { agent: 'demo', ringing: 'yes' })).rejects.toMatchObject({ code: 'NUMBER_INVALID', issues: [{ path: ['ringing'] }] });
    await expect(s.put('+15550100002', { agent: { ...adapter, apiKeyEnv: 'UNSET_KEY' } })).rejects.toMatchObject({ code: 'NUMBER_INVALID' });
    expect(s.list().map((n) => n.pattern)).toEqual(['+15550100001']);
  });

  it('a reloaded YAML entry hides a runtime entry with the same pattern; an invalid reload changes nothing', async () => {
    const store = await open();
    stores.push(store);
    const s = service(store);
    await s.start();
    await s.put('+15550100002', { agent: 'demo' });
    const next = parseConfig({ numbers: { '+15550100001': { agent: 'echo' }, '+1 555 010 0002': { agent: 'echo' } } }).numbers;
    expect(await s.reloadConfig(next)).toEqual([]);
    expect(s.book.lookup('+15550100002')?.value).toMatchObject({ source: 'config', route: { agent: 'echo' } });
    const bad = parseConfig({ numbers: { '+15550100009': { agent: { ...adapter, apiKeyEnv: 'UNSET_KEY' } } } }).numbers;
    const problems = await s.reloadConfig(bad);
    expect(problems[0]).toMatch(/^numbers\."\+15550100009"\.agent/);
    expect(s.book.lookup('+15550100002')?.value.source).toBe('config');
  });
});

describe('NumberService without a database', () => {
  it('without a database: YAML numbers only, writes refused', async () => {
    const s = service(undefined);
    await s.start();
    await expect(s.put('+15550100002', { agent: 'demo' })).rejects.toMatchObject({ code: 'NUMBERS_UNAVAILABLE' });
    expect(s.book.lookup('+15550100001')?.value.source).toBe('config');
  });
});
