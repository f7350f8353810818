/**
 * The `numbers` table (store/schema.ts): runtime entries as rows, read and written through the store's query
 * builder (both engines). Only the numbers API writes (an HTTP request may wait for the database; a call never does),
 * and every gateway sharing the database polls `signature()` to reload when another one wrote.
 */
import { sql, type Kysely } from 'kysely';
import type { Database, NumbersTable } from '../store/schema.js';

export type NumberRow = NumbersTable;

export async function listNumberRows(db: Kysely<Database>): Promise<NumberRow[]> {
  return db.selectFrom('numbers').selectAll().orderBy('pattern').execute();
}

/** Changes whenever a row is added, changed or removed (count, highest and summed version). */
export async function numbersSignature(db: Kysely<Database>): Promise<string> {
  const row = await db
    .selectFrom('numbers')
    .select([
      sql<number | string>`count(*)`.as('n'),
      sql<number | string | null>`max(version)`.as('max'),
      sql<number | string | null>`sum(version)`.as('sum'),
    ])
    .executeTakeFirst();
  return `${String(row?.n ?? 0)}:${String(row?.max ?? 0)}:${String(row?.sum ?? 0)}`;
}

/**
 * Inserts or replaces the row with this id; its version is the table's highest plus one (two gateways writing at
 * the same moment on PostgreSQL may give two rows the same version: the poll's signature still moves with each).
 * Returns the row as stored.
 */
export async function putNumberRow(db: Kysely<Database>, row: { id: string; pattern: string; route: unknown; now: number }): Promise<{ row: NumberRow; created: boolean }> {
  return db.transaction().execute(async (trx) => {
    const top = await trx.selectFrom('numbers').select(sql<number | string | null>`max(version)`.as('max')).executeTakeFirst();
    const version = Number(top?.max ?? 0) + 1;
    const existing = await trx.selectFrom('numbers').select(['created_at']).where('id', '=', row.id).executeTakeFirst();
    const written: NumberRow = {
      id: row.id,
      pattern: row.pattern,
      route_json: JSON.stringify(row.route),
      created_at: existing === undefined ? row.now : Number(existing.created_at),
      updated_at: row.now,
      version,
    };
    // An upsert, not insert-or-update: on PostgreSQL another gateway may write the same id between the reads above
    // and this write (read committed): a plain INSERT would fail on the key, and a second write with the same
    // version would leave the poll's signature unchanged (the other gateway never reloading). The last writer wins,
    // its version above the row's.
    const { id: _id, created_at: _created, version: _version, ...changes } = written;
    const stored = await trx
      .insertInto('numbers')
      .values(written)
      .onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => ({
          ...changes,
          version: eb.case().when('numbers.version', '>=', eb.ref('excluded.version')).then(eb('numbers.version', '+', 1)).else(eb.ref('excluded.version')).end(),
        })),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return { row: { ...stored, created_at: Number(stored.created_at) }, created: existing === undefined };
  });
}

/** Removes the row with this id; whether there was one. */
export async function deleteNumberRow(db: Kysely<Database>, id: string): Promise<boolean> {
  const result = await db.deleteFrom('numbers').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
