/**
 * Imported first by main.ts: stops at once, with what to install, on a Node Patchbay does not support. Evaluated
 * before any other module of the gateway (ESM evaluates imports in order). PATCHBAY_UNSUPPORTED_NODE=1 turns the
 * stop into a warning: only for measuring an old Node (the bench's --runtimes), never for serving calls.
 */
import { nodeVersionProblem } from './node-version.js';

const problem = nodeVersionProblem(process.version);
if (problem !== undefined) {
  if (process.env['PATCHBAY_UNSUPPORTED_NODE'] === '1') {
    process.stderr.write(`patchbay: warning: running on Node ${process.version}, which is not supported (PATCHBAY_UNSUPPORTED_NODE=1)\n`);
  } else {
    process.stderr.write(`patchbay: ${problem}\n`);
    process.exit(1);
  }
}
