/**
 * The SQLite worker thread: opens the database with node-sqlite.ts and runs the main thread's compiled queries
 * on its one connection, so SQLite's synchronous calls never block the thread that runs SIP (and the media when
 * `media.workers` is 0). A failing query is answered with its error; the worker and its connection live on.
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
  try {
    const stmt = db.prepare(msg.sql);
    if (stmt.reader) {
      post({ type: 'result', id: msg.id, rows: stmt.all(msg.parameters) as Record<string, unknown>[] });
      return;
    }
    const { changes, lastInsertRowid } = stmt.run(msg.parameters);
    post({ type: 'result', id: msg.id, rows: [], changes, lastInsertRowid });
  } catch (err) {
    post({ type: 'error', id: msg.id, message: messageOf(err), code: errorCode(err) });
  }
});
