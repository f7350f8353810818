/**
 * The Node versions Patchbay supports, checked once at start-up (require-node.ts) so that an old Node fails with a
 * message naming what to install instead of a stack trace from deep inside a dependency. The same range is
 * `engines.node` in the root package.json; scripts/require-node.mjs applies it to `npm test`.
 *
 * 22.16 is the floor of the 22 line: the OpenTelemetry SDK (0.3xx / 3.x) needs 22.15, and the store's node:sqlite
 * needs `StatementSync.columns()`, new in 22.16; 24 is the default
 * (npm ci installs it as node_modules/.bin/node on Linux x64 and arm64).
 */
export const SUPPORTED_NODE = 'Node 22.16+ or 24 (24 LTS recommended)';

/** Why `version` (as in `process.version`, `v24.1.0`) is not supported, or undefined when it is. */
export function nodeVersionProblem(version: string): string | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (match === null) return `cannot read the Node version "${version}"`;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  if (major >= 24 || (major === 22 && minor >= 16)) return undefined;
  return (
    `Node ${version} is not supported: Patchbay needs ${SUPPORTED_NODE}.\n` +
    `  On Linux x64/arm64, \`npm ci\` installs Node 24 for every npm script (node_modules/.bin/node): run Patchbay with \`npm start\`.\n` +
    `  Elsewhere, install Node 24 LTS (for example \`nvm install 24\` or \`fnm install 24\`) and run it again.`
  );
}
