/**
 * The store in a running gateway: opened before listening on the configured data folder, in /stats and /metrics,
 * closed last; and `database.enabled: false`, a gateway without one that still answers calls.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { startTestGateway, waitFor } from '../../test/helpers/gateway.js';
import { SipCaller } from '../../test/helpers/sip-caller.js';

describe('gateway store wiring', () => {
  it('opens SQLite in database.dataDir, reports the queue in /stats and /metrics, closes it with the gateway', async () => {
    const gw = await startTestGateway({ database: {} });
    const { store } = gw.gateway;
    if (store === undefined) throw new Error('the gateway opened no store');
    expect(store.dialect).toBe('sqlite');
    expect(existsSync(join(gw.config.database.dataDir, 'patchbay.db'))).toBe(true);
    store.writer.register('test.call-event', async (trx, data) => {
      await trx.insertInto('call_events').values({ call_id: 'c1', seq: Number(data), at: 1, type: 't', data_json: '{}' }).execute();
    });
    store.writer.enqueue({ kind: 'test.call-event', data: 0 });
    await store.flush();
    const stats = (await (await fetch(`http://127.0.0.1:${gw.httpPort}/stats`)).json()) as { store: unknown };
    expect(stats.store).toMatchObject({ engine: 'sqlite', applied: 1, queued: 0, spilled: 0, dropped: 0, databaseUp: true });
    const metrics = await gw.metrics();
    expect(metrics).toMatch(/^patchbay_store_database_up 1$/m);
    expect(metrics).toMatch(/^patchbay_store_applied_total 1$/m);
    await gw.close();
    await expect(sql`select 1`.execute(store.db)).rejects.toThrow();
  });

  it('does not start (and does not listen) when the database cannot be opened, naming the URL without its password', async () => {
    const err = await startTestGateway({ sip: { port: 0 }, database: { url: 'postgres://patchbay:hunter2@127.0.0.1:1/records' } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'STORE_OPEN_FAILED' });
    expect((err as Error).message).toContain('postgres://patchbay:***@127.0.0.1:1/records');
    expect((err as Error).message).not.toContain('hunter2');
  });

  it('database.enabled false: no store opened, calls answered, no records, 503 for stored reads and runtime numbers', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'patchbay-nodb-'));
    const gw = await startTestGateway({ database: { enabled: false, dataDir }, numbers: { '+15550100001': { agent: 'echo' } } });
    try {
      expect(gw.gateway.store).toBeUndefined();
      const ended: string[] = [];
      gw.gateway.records.onRecord((r) => ended.push(r.id));
      const caller = await SipCaller.call({ host: gw.host, port: gw.sipPort, to: '+15550100001' });
      await caller.hangUp();
      caller.close();
      // The record is still built (and told to listeners, e.g. per-number metrics); it is written nowhere.
      await waitFor(() => ended.length === 1, 5_000);
      expect(readdirSync(dataDir)).toEqual([]);
      const api = `http://127.0.0.1:${gw.httpPort}`;
      const stats = (await (await fetch(`${api}/stats`)).json()) as Record<string, unknown>;
      expect(stats['store']).toBeUndefined();
      // The history lists live calls and the ones the call core still remembers (its last 1,000 ended, in memory:
      // `live: false`); what only the store has answers 503.
      const list = await fetch(`${api}/v1/calls`);
      expect(list.status).toBe(200);
      expect(((await list.json()) as { calls: { id: string; live: boolean }[] }).calls).toEqual([expect.objectContaining({ id: ended[0], live: false })]);
      const analytics = await fetch(`${api}/v1/analytics`);
      expect(analytics.status).toBe(503);
      expect(((await analytics.json()) as { code: string }).code).toBe('STORE_UNAVAILABLE');
      const add = await fetch(`${api}/v1/numbers/${encodeURIComponent('+15550100002')}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ agent: 'echo' }),
      });
      expect(add.status).toBe(503);
      expect(((await add.json()) as { code: string }).code).toBe('NUMBERS_UNAVAILABLE');
      expect((await fetch(`${api}/v1/webhooks/deliveries`)).status).toBe(404);
    } finally {
      await gw.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
