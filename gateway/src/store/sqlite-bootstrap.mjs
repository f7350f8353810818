// The SQLite worker's first module, plain JavaScript so that Node loads it without any loader (like the media
// worker's bootstrap.mjs). Loading node:sqlite prints Node's "SQLite is an experimental feature" warning: that one
// warning, and only it, is dropped here, before the worker's entry loads node:sqlite. From source (tsx, vitest) the
// entry is TypeScript: register tsx first; from the build it is dist/store/sqlite-worker.js.
import { workerData } from 'node:worker_threads';

const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const message = typeof warning === 'string' ? warning : warning?.message;
  const type = typeof rest[0] === 'string' ? rest[0] : (rest[0]?.type ?? warning?.name);
  if (type === 'ExperimentalWarning' && typeof message === 'string' && message.startsWith('SQLite is an experimental feature')) return;
  emitWarning(warning, ...rest);
};

if (workerData.entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);
