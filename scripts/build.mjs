#!/usr/bin/env node
// `npm run build`: every runtime workspace's src/ compiled to JavaScript in its dist/, file for file (esbuild,
// transpile only: types are checked by `npm run typecheck`). The layout mirrors src/ one level down, so what a
// module finds relative to itself (gateway/package.json, agents/prompts/, the media worker next to its plane) is
// where it is from source. Workspaces resolve each other to dist/ under the `patchbay-dist` export condition
// (`node --conditions=patchbay-dist gateway/dist/main.js`, what `npm start` and the Docker image run); without it
// (tsx, vitest, tsc) they resolve to src/. Tests are not compiled. About a second for the whole tree.
import { build } from 'esbuild';
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** What the gateway loads at run time (bench and the test helpers stay TypeScript-only). */
export const WORKSPACES = ['gateway', 'agents', 'observability', 'adapters/kit', 'adapters/openai-realtime', 'adapters/pipeline', 'adapters/livekit', 'adapters/server'];
/** The esbuild target: the oldest Node in engines (^22.16.0 || >=24). */
const TARGET = 'node22.16';

async function* walk(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

async function buildWorkspace(workspace) {
  const src = join(ROOT, workspace, 'src');
  const out = join(ROOT, workspace, 'dist');
  const entryPoints = [];
  const copies = [];
  for await (const file of walk(src)) {
    if (/\.test\.ts$/.test(file) || file.endsWith('.d.ts')) continue;
    if (file.endsWith('.ts')) entryPoints.push(file);
    else if (/\.(mjs|js|json)$/.test(file)) copies.push(file);
  }
  await rm(out, { recursive: true, force: true });
  await build({ entryPoints, outdir: out, outbase: src, format: 'esm', platform: 'node', target: TARGET, sourcemap: true, logLevel: 'warning' });
  for (const file of copies) {
    const to = join(out, relative(src, file));
    await mkdir(dirname(to), { recursive: true });
    await copyFile(file, to);
  }
  return entryPoints.length + copies.length;
}

const started = performance.now();
let files = 0;
for (const workspace of WORKSPACES) files += await buildWorkspace(workspace);
if (!process.argv.includes('--quiet')) {
  console.log(`patchbay: built ${files} files into ${WORKSPACES.length} dist/ folders in ${Math.round(performance.now() - started)} ms`);
}
