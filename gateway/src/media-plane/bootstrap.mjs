// A media worker's first module, plain JavaScript so that Node loads it without any loader. From source (tsx, vitest)
// the entry is the TypeScript file: register tsx first. From the build (`npm start`, the Docker image) the entry is
// dist/media-plane/media-worker.js and tsx, a dev dependency, is neither needed nor installed.
import { workerData } from 'node:worker_threads';

if (workerData.entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);
