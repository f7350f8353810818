/** The Node binaries the runtime comparison runs the gateway on: installed by scripts/install-node.sh, once. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export interface NodeRuntime {
  readonly major: number;
  /** `process.version` of that binary, e.g. v22.23.5. */
  readonly version: string;
  readonly path: string;
}

/** Installs (or finds in the cache) the tested release of Node `major` from scripts/node-versions.txt. */
export function installNode(repoRoot: string, major: number): NodeRuntime {
  const install = spawnSync('bash', [join(repoRoot, 'scripts/install-node.sh'), String(major)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const path = install.stdout.trim();
  if (install.status !== 0 || path === '') throw new Error(`scripts/install-node.sh ${major} failed (exit ${String(install.status)})`);
  const probe = spawnSync(path, ['--version'], { encoding: 'utf8' });
  const version = probe.stdout.trim();
  if (probe.status !== 0 || !version.startsWith(`v${major}.`)) throw new Error(`${path} --version answered '${version}', not Node ${major}`);
  return { major, version, path };
}
