/**
 * `calls.id` compares as bytes on both engines. The history's keyset cursor orders calls by (created_at, id) in SQL
 * and merges live calls by the same key in JS (records/cursor.ts compareKeys: code-unit order, which is byte order
 * for the ASCII ids we write). SQLite compares text as bytes (BINARY). PostgreSQL uses the database's collation: in
 * a database created under en_US (ICU or glibc, a common default) 'a0' sorts before 'A1' and '_' before letters,
 * so the two orders disagree and a page boundary skips or repeats calls. On PostgreSQL the column gets
 * COLLATE "C" (byte order; the primary key and `calls_created` are rebuilt, the rows are not rewritten).
 * Nothing to do on SQLite.
 */
import { PostgresAdapter, sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

const onPostgres = (db: AnyDb): boolean => db.getExecutor().adapter instanceof PostgresAdapter;

export async function up(db: AnyDb): Promise<void> {
  if (onPostgres(db)) await sql`ALTER TABLE calls ALTER COLUMN id TYPE text COLLATE "C"`.execute(db);
}

export async function down(db: AnyDb): Promise<void> {
  if (onPostgres(db)) await sql`ALTER TABLE calls ALTER COLUMN id TYPE text COLLATE "default"`.execute(db);
}
