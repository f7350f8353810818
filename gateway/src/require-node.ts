/**
 * Imported first by main.ts: stops at once, with what to install, on a Node Patchbay does not support. Evaluated
 * before any other module of the gateway (ESM evaluates imports in order).
 */
import { nodeVersionProblem } from './node-version.js';

const problem = nodeVersionProblem(process.version);
if (problem !== undefined) {
  process.stderr.write(`patchbay: ${problem}\n`);
  process.exit(1);
}
