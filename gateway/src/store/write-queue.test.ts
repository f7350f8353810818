/**
 * The write queue's batches are bounded in time as well as in ops: a burst of slow ops is committed a transaction
 * at a time, every `maxBatchMs`, instead of all at the end of one long transaction (what an op enqueued first would
 * otherwise wait in memory for). On the real schema in in-memory SQLite.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { openMemoryStore } from './testing.js';
import type { Store } from './types.js';
import { WriteQueue } from './write-queue.js';
import { waitFor } from '../../test/helpers/wait-for.js';

const logger = pino({ level: 'silent' });
let store: Store | undefined;

afterEach(async () => {
  await store?.close();
  store = undefined;
});

describe('WriteQueue batches', () => {
  it('commits a burst of slow ops in several time-bounded transactions, in order, none lost', async () => {
    store = await openMemoryStore();
    const queue = new WriteQueue({ db: store.db, logger, maxOps: 1_000, batchOps: 500, maxBatchMs: 20 });
    queue.register('slow', async (trx, data) => {
      const i = (data as { i: number }).i;
      await new Promise((resolve) => setTimeout(resolve, 2));
      await trx.insertInto('call_events').values({ call_id: 'burst', seq: i, at: i, type: 't', data_json: '{}' }).execute();
    });
    const ops = 100;
    for (let i = 0; i < ops; i++) queue.enqueue({ kind: 'slow', data: { i } });
    // Seen between two transactions: some committed, the rest still queued.
    await waitFor(() => queue.stats().applied > 0, 5_000);
    const first = queue.stats();
    expect(first.applied).toBeLessThan(ops);
    expect(first.queued).toBe(ops - first.applied);
    await queue.flush();
    expect(queue.stats()).toMatchObject({ applied: ops, queued: 0, failures: 0 });
    const seqs = (await store.db.selectFrom('call_events').select('seq').where('call_id', '=', 'burst').orderBy('seq').execute()).map((r) => r.seq);
    expect(seqs).toEqual(Array.from({ length: ops }, (_, i) => i));
    await queue.close();
  });

  it('takes at least one op per transaction however slow it is', async () => {
    store = await openMemoryStore();
    const queue = new WriteQueue({ db: store.db, logger, maxOps: 10, batchOps: 10, maxBatchMs: 0 });
    let applied = 0;
    queue.register('one', async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      applied++;
    });
    for (let i = 0; i < 5; i++) queue.enqueue({ kind: 'one', data: {} });
    await queue.flush();
    expect(applied).toBe(5);
    expect(queue.stats()).toMatchObject({ applied: 5, queued: 0 });
    await queue.close();
  });
});
