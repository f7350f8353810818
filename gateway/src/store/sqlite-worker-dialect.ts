/**
 * A Kysely dialect for SQLite run in a worker thread: Kysely's own SQLite compiler, adapter and introspector, with
 * a driver whose one connection posts each compiled query ({sql, parameters}) to the worker (sqlite-worker.ts) and
 * resolves with its rows. node:sqlite is synchronous; here the main thread only posts and receives messages, so a
 * write batch or a slow report query never stalls SIP or media. Transactions run on that one connection, one at a
 * time: the adapter says it has no second connection, so Kysely's RuntimeDriver serialises them, exactly as it does
 * for its own SqliteDriver.
 *
 * Inside a transaction, `begin` and each INSERT, UPDATE or DELETE without RETURNING are not posted at once: they are
 * kept and posted in one message with the next statement that returns rows, or with the commit (a rollback of a
 * transaction nothing was posted for posts nothing). A write batch of the store's queue is then one message instead
 * of one per statement. Such a deferred write resolves at once with no counts (`numAffectedRows` undefined, so
 * Kysely reports 0): code that needs a write's count inside a transaction must use RETURNING, or run it outside
 * one. A deferred write that fails fails the statement it was posted with (the read or the commit), so the
 * transaction still fails and rolls back as a whole.
 */
import { Worker } from 'node:worker_threads';
import {
  CompiledQuery,
  DeleteQueryNode,
  InsertQueryNode,
  UpdateQueryNode,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
} from 'kysely';
import { StoreError } from './errors.js';
import type { FromSqliteWorker, SqliteWorkerData, ToSqliteWorker } from './sqlite-protocol.js';

export interface WorkerSqliteOptions {
  /** The database file (created when missing), or `:memory:`. */
  path: string;
  /** How long the worker may take to start and open the file. */
  startTimeoutMs?: number;
}

export class WorkerSqliteDialect implements Dialect {
  constructor(private readonly options: WorkerSqliteOptions) {}
  createDriver(): Driver {
    return new WorkerSqliteDriver(this.options);
  }
  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }
  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type Pending = { resolve: (reply: FromSqliteWorker) => void; reject: (err: Error) => void };

/** The worker thread and its replies by request id. */
class SqliteWorkerThread {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exited: Error | undefined;

  private constructor(private readonly worker: Worker, private readonly path: string) {
    worker.on('message', (msg: FromSqliteWorker) => {
      if (msg.type === 'ready' || msg.type === 'failed') return;
      const p = this.pending.get(msg.id);
      if (p === undefined) return;
      this.pending.delete(msg.id);
      p.resolve(msg);
    });
    worker.on('exit', (code) => {
      this.exited = new StoreError('SQLITE_WORKER_EXITED', `the SQLite worker for ${path} exited (code ${code})`);
      for (const p of this.pending.values()) p.reject(this.exited);
      this.pending.clear();
    });
  }

  static async start(options: WorkerSqliteOptions): Promise<SqliteWorkerThread> {
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    const data: SqliteWorkerData = { entry: new URL(`./sqlite-worker${ext}`, import.meta.url).href, path: options.path };
    const worker = new Worker(new URL('./sqlite-bootstrap.mjs', import.meta.url), { workerData: data, name: 'patchbay-sqlite' });
    const timeoutMs = options.startTimeoutMs ?? 30_000;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new StoreError('STORE_OPEN_FAILED', `SQLite worker did not open ${options.path} within ${timeoutMs} ms`)), timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          worker.off('message', onMessage);
          worker.off('error', onError);
          worker.off('exit', onExit);
        };
        const onMessage = (msg: FromSqliteWorker): void => {
          if (msg.type === 'ready') {
            done();
            resolve();
          } else if (msg.type === 'failed') {
            done();
            reject(new StoreError('STORE_OPEN_FAILED', `cannot open SQLite database ${options.path}: ${msg.message}`));
          }
        };
        const onError = (err: Error): void => {
          done();
          reject(new StoreError('STORE_OPEN_FAILED', `SQLite worker for ${options.path} failed to start: ${err.message}`, { cause: err }));
        };
        const onExit = (code: number): void => {
          done();
          reject(new StoreError('STORE_OPEN_FAILED', `SQLite worker for ${options.path} exited while starting (code ${code})`));
        };
        worker.on('message', onMessage);
        worker.on('error', onError);
        worker.on('exit', onExit);
      });
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    return new SqliteWorkerThread(worker, options.path);
  }

  request(msg: DistributiveOmit<ToSqliteWorker, 'id'>): Promise<FromSqliteWorker> {
    if (this.exited !== undefined) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id } as ToSqliteWorker);
    });
  }

  async close(): Promise<void> {
    if (this.exited === undefined) {
      await this.request({ type: 'close' }).catch(() => undefined);
    }
    await this.worker.terminate();
  }

  describe(): string {
    return this.path;
  }
}

class WorkerSqliteDriver implements Driver {
  private thread: SqliteWorkerThread | undefined;
  private connection: WorkerSqliteConnection | undefined;

  constructor(private readonly options: WorkerSqliteOptions) {}

  async init(): Promise<void> {
    this.thread = await SqliteWorkerThread.start(this.options);
    this.connection = new WorkerSqliteConnection(this.thread);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.connection === undefined) throw new StoreError('STORE_CLOSED', 'the SQLite store is not open');
    return this.connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    (connection as WorkerSqliteConnection).begin();
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as WorkerSqliteConnection).commit();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as WorkerSqliteConnection).rollback();
  }

  async releaseConnection(): Promise<void> {
    // One connection, kept: the RuntimeDriver's mutex is what serialises its users.
  }

  async destroy(): Promise<void> {
    const thread = this.thread;
    this.thread = undefined;
    this.connection = undefined;
    await thread?.close();
  }
}

type Statement = { readonly sql: string; readonly parameters: readonly unknown[] };

/** A write whose result nobody reads (no RETURNING): it may wait for the transaction's next message. */
function deferrable(query: CompiledQuery): boolean {
  const node = query.query;
  if (InsertQueryNode.is(node) || UpdateQueryNode.is(node) || DeleteQueryNode.is(node)) return node.returning === undefined;
  return false;
}

class WorkerSqliteConnection implements DatabaseConnection {
  /** In a transaction: the statements not posted yet (`begin` first until something was posted). */
  private deferred: Statement[] | undefined;
  /** Whether this transaction's `begin` reached the worker (then a rollback must be posted). */
  private begun = false;

  constructor(private readonly thread: SqliteWorkerThread) {}

  begin(): void {
    this.deferred = [{ sql: 'begin', parameters: [] }];
    this.begun = false;
  }

  async commit(): Promise<void> {
    await this.post({ sql: 'commit', parameters: [] });
    this.end();
  }

  async rollback(): Promise<void> {
    const begun = this.begun;
    this.end();
    if (begun) await this.post({ sql: 'rollback', parameters: [] });
  }

  private end(): void {
    this.deferred = undefined;
    this.begun = false;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const statement = { sql: compiledQuery.sql, parameters: compiledQuery.parameters };
    if (this.deferred !== undefined && deferrable(compiledQuery)) {
      this.deferred.push(statement);
      return { rows: [] };
    }
    return this.post<R>(statement);
  }

  /** Posts `statement` with whatever the transaction deferred before it, in one message. */
  private async post<R>(statement: Statement): Promise<QueryResult<R>> {
    const deferred = this.deferred;
    let reply: FromSqliteWorker;
    if (deferred === undefined || deferred.length === 0) {
      reply = await this.thread.request({ type: 'query', sql: statement.sql, parameters: statement.parameters });
    } else {
      const statements = [...deferred, statement];
      this.deferred = [];
      // `begin` is first in the first batch; it ran unless it is what failed.
      const beginsHere = !this.begun && statements[0]?.sql === 'begin';
      reply = await this.thread.request({ type: 'batch', statements });
      if (beginsHere && !(reply.type === 'error' && reply.index === 0)) this.begun = true;
    }
    if (reply.type === 'error') {
      throw new StoreError('SQLITE_QUERY_FAILED', `${reply.message} (${this.thread.describe()})`, { sqliteCode: reply.code });
    }
    if (reply.type !== 'result') throw new StoreError('SQLITE_WORKER_EXITED', `unexpected reply '${reply.type}' from the SQLite worker`);
    return {
      rows: reply.rows as R[],
      ...(reply.changes === undefined ? {} : { numAffectedRows: BigInt(reply.changes) }),
      ...(reply.lastInsertRowid === undefined ? {} : { insertId: BigInt(reply.lastInsertRowid) }),
    };
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    // The worker sends the rows at once; what streams is the caller's iteration over them.
    const result = await this.executeQuery<R>(compiledQuery);
    for (const row of result.rows) yield { rows: [row] };
  }
}
