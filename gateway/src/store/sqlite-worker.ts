/**
 * The SQLite worker thread: opens the database with node-sqlite.ts and runs the main thread's compiled queries
 * on its one connection, so SQLite's synchronous calls never block the thread that runs SIP (and the media when
 * `media.workers` is 0). A failing query is answered with its error; the worker and its connection live on. A batch
 * (a transaction's deferred writes and the statement that ends them) runs in order and stops at the first failure.
 * Statements are prepared once per SQL text (a bounded cache).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openNodeSqlite } from './node-sqlite.js';
import type { FromSqliteWorker, SqliteWorkerData, ToSqliteWorker } from './sqlite-protocol.js';

const port = parentPort;
if (!port) throw new Error('sqlite-worker.ts runs only as a worker thread');
const data = workerData as SqliteWorkerData;
const post = (msg: FromSqliteWorker): void => port.postMessage(msg);

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

let db: ReturnType<typeof openNodeSqlite>;
try {
  db = openNodeSqlite(data.path);
  post({ type: 'ready' });
} catch (err) {
  post({ type: 'failed', message: messageOf(err), code: errorCode(err) });
  process.exit(1);
}

/** Prepared statements by SQL text, the most recently used last: the queries the gateway runs are few and repeat. */
const statements = new Map<string, ReturnType<typeof db.prepare>>();
const MAX_STATEMENTS = 256;

function prepared(sql: string): ReturnType<typeof db.prepare> {
  let stmt = statements.get(sql);
  if (stmt !== undefined) {
    statements.delete(sql);
  } else {
    stmt = db.prepare(sql);
    if (statements.size >= MAX_STATEMENTS) {
      const oldest = statements.keys().next();
      if (oldest.done !== true) statements.delete(oldest.value);
    }
  }
  statements.set(sql, stmt);
  return stmt;
}

port.on('message', (msg: ToSqliteWorker) => {
  if (msg.type === 'close') {
    try {
      db.close();
    } finally {
      post({ type: 'closed', id: msg.id });
      port.close();
    }
    return;
  }
  if (msg.type === 'batch') {
    let reply: FromSqliteWorker = { type: 'result', id: msg.id, rows: [] };
    for (const [index, statement] of msg.statements.entries()) {
      reply = run(msg.id, statement.sql, statement.parameters, index);
      if (reply.type === 'error') break;
    }
    post(reply);
    return;
  }
  post(run(msg.id, msg.sql, msg.parameters));
});

function run(id: number, sql: string, parameters: readonly unknown[], index?: number): FromSqliteWorker {
  try {
    const stmt = prepared(sql);
    if (stmt.reader) return { type: 'result', id, rows: stmt.all(parameters) as Record<string, unknown>[] };
    const { changes, lastInsertRowid } = stmt.run(parameters);
    return { type: 'result', id, rows: [], changes, lastInsertRowid };
  } catch (err) {
    return { type: 'error', id, message: messageOf(err), code: errorCode(err), ...(index === undefined ? {} : { index }) };
  }
}
