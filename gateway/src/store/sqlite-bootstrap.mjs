// The SQLite worker's first module, plain JavaScript so that Node loads it without any loader (like the media
// worker's bootstrap.mjs). Node 22's warning on loading node:sqlite is dropped first (sqlite-warning.mjs). From
// source (tsx, vitest) the entry is TypeScript: register tsx; from the build it is dist/store/sqlite-worker.js.
import { workerData } from 'node:worker_threads';
import { dropSqliteExperimentalWarning } from './sqlite-warning.mjs';

dropSqliteExperimentalWarning(process);
if (workerData.entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);
