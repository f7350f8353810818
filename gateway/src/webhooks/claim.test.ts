/**
 * The outbox claim (worker.ts claimDeliveries) on both engines: which rows it leases; and on PostgreSQL, with another
 * worker's claim still open on a row, that it neither waits for that row nor takes it once that worker has settled
 * it with a retry due later (the early second POST a plain UPDATE … WHERE id IN (SELECT …) allowed).
 */
import { sql } from 'kysely';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { WebhookDeliveriesTable } from '../store/schema.js';
import type { Store } from '../store/types.js';
import { closeTestStores, testStoreEngines } from '../../test/support/test-stores.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import { claimDeliveries } from './worker.js';

const NOW = 1_800_000_000_000;
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});
afterAll(closeTestStores, 20_000);

function row(id: string, extra: Partial<WebhookDeliveriesTable> = {}): WebhookDeliveriesTable {
  return {
    id,
    event_type: 'call.ringing',
    endpoint: 'crm',
    url: 'http://127.0.0.1:9/hook',
    call_id: 'c1',
    payload_json: '{}',
    status: 'pending',
    attempts: 0,
    created_at: NOW - 1000,
    next_attempt_at: NOW - 1000,
    last_attempt_at: null,
    delivered_at: null,
    lease_until: null,
    lease_owner: null,
    ...extra,
  };
}

const claim = (store: Store, owner: string, limit = 10) => claimDeliveries(store.db, store.dialect, { endpoint: 'crm', limit, now: NOW, owner, leaseMs: 10_000 });

describe.each(testStoreEngines())('claimDeliveries on $name', ({ open }) => {
  it('leases due, unleased (or lapsed) pending rows of its endpoint, oldest due first, up to the limit', async () => {
    const store = await open();
    stores.push(store);
    await store.db.insertInto('webhook_deliveries').values([
      row('msg_due2', { next_attempt_at: NOW - 10 }),
      row('msg_due1', { next_attempt_at: NOW - 20 }),
      row('msg_lapsed', { next_attempt_at: NOW - 5, lease_owner: 'dead', lease_until: NOW - 1 }),
      row('msg_leased', { lease_owner: 'other', lease_until: NOW + 5000 }),
      row('msg_later', { next_attempt_at: NOW + 1 }),
      row('msg_done', { status: 'delivered' }),
      row('msg_elsewhere', { endpoint: 'erp' }),
    ]).execute();
    const first = await claim(store, 'me', 2);
    expect(first.map((r) => r.id)).toEqual(expect.arrayContaining(['msg_due1', 'msg_due2']));
    expect(first).toHaveLength(2);
    expect(first.every((r) => r.lease_owner === 'me' && Number(r.lease_until) === NOW + 10_000)).toBe(true);
    expect((await claim(store, 'you')).map((r) => r.id)).toEqual(['msg_lapsed']);
    expect(await claim(store, 'them')).toEqual([]);
  });
});

describe('claimDeliveries on postgres, against another worker holding a row', () => {
  it('skips the row another claim holds instead of waiting, and does not take it once settled with a later retry', async () => {
    const engine = testStoreEngines().find((e) => e.name === 'postgres');
    if (engine === undefined) throw new Error('no postgres engine');
    const store = await engine.open();
    stores.push(store);
    const other = await engine.share(store); // a second gateway: its own pool
    stores.push(other);
    await store.db.insertInto('webhook_deliveries').values([row('msg_x', { next_attempt_at: NOW - 20 }), row('msg_y', { next_attempt_at: NOW - 10 })]).execute();

    let settle: () => void = () => undefined;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    let holding: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (holding = resolve));
    // Worker A: claims msg_x, "sends" it, records a failed try with the retry a minute away — one open transaction.
    const a = other.db.transaction().execute(async (trx) => {
      await trx.updateTable('webhook_deliveries').set({ lease_owner: 'a', lease_until: NOW + 10_000 }).where('id', '=', 'msg_x').execute();
      holding();
      await settled;
      await trx.updateTable('webhook_deliveries').set({ attempts: 1, lease_owner: null, lease_until: null, next_attempt_at: NOW + 60_000 }).where('id', '=', 'msg_x').execute();
    });
    await held;
    let done = false;
    const b = claim(store, 'b').finally(() => (done = true));
    const lockWaits = async () => Number((await sql<{ n: number }>`select count(*) as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()`.execute(store.db)).rows[0]?.n);
    await waitFor(async () => done || (await lockWaits()) > 0, 5_000);
    const waited = !done;
    settle();
    await a;
    const got = await b;
    expect(got.map((r) => r.id)).toEqual(['msg_y']);
    expect(waited).toBe(false);
    const x = await store.db.selectFrom('webhook_deliveries').select(['lease_owner', 'attempts']).where('id', '=', 'msg_x').executeTakeFirstOrThrow();
    expect(x).toEqual({ lease_owner: null, attempts: 1 });
  });
});
