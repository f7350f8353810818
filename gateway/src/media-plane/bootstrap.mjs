// A media worker's first module: registers the TypeScript loader (the gateway runs from source), then imports the
// worker proper. Plain JavaScript so that Node can load it without any loader.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
