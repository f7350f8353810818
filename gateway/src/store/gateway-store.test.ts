/** The store in a running gateway: opened before listening on the configured data folder, in /stats and /metrics, closed last. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { startTestGateway } from '../../test/helpers/gateway.js';

describe('gateway store wiring', () => {
  it('opens SQLite in database.dataDir, reports the queue in /stats and /metrics, closes it with the gateway', async () => {
    const gw = await startTestGateway({ database: {} });
    const { store } = gw.gateway;
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
});
