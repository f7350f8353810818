// node scripts/check-engines.mjs — fails, listing each one, when an installed package's `engines.node` excludes a
// Node Patchbay supports. Checked against the floor of each supported line (from the root engines.node) and the
// exact releases we test (scripts/node-versions.txt), for every package the lockfile lists that is on disk.
// Also checks that the pinned runtime (optionalDependencies node-linux-*) is the tested 24 release.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const rootPkg = readJson(join(root, 'package.json'));
const lock = readJson(join(root, 'package-lock.json'));
const problems = [];

const supported = rootPkg.engines?.node;
if (typeof supported !== 'string' || semver.validRange(supported) === null) {
  console.error(`check-engines: package.json engines.node is missing or not a range: ${supported}`);
  process.exit(1);
}
const tested = readFileSync(join(root, 'scripts/node-versions.txt'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '' && !l.startsWith('#'))
  .map((l) => l.trim().split(/\s+/)[1]);
// The lowest release of each supported line: 22.16.0 and 24.0.0 for "^22.16.0 || >=24".
const floors = semver
  .validRange(supported)
  .split('||')
  .map((part) => semver.minVersion(part.trim())?.version)
  .filter((v) => v !== undefined);
const targets = [...new Set([...floors, ...tested.filter((v) => semver.satisfies(v, supported))])].sort(semver.compare);
if (!tested.some((v) => semver.satisfies(v, supported))) problems.push(`no release in scripts/node-versions.txt satisfies engines.node ${supported}`);

const pinned24 = tested.find((v) => semver.major(v) === 24);
for (const [name, version] of Object.entries(rootPkg.optionalDependencies ?? {})) {
  if (name.startsWith('node-linux-') && version !== pinned24) problems.push(`package.json optionalDependencies ${name}@${version} is not the tested 24 release (${pinned24}, scripts/node-versions.txt)`);
}

let checked = 0;
for (const [path, entry] of Object.entries(lock.packages ?? {})) {
  if (path === '' || entry.link === true) continue;
  const pkgJson = join(root, path, 'package.json');
  if (!existsSync(pkgJson)) continue; // an optional package for another platform, not installed here
  checked++;
  const pkg = readJson(pkgJson);
  const range = pkg.engines?.node;
  if (range === undefined) continue;
  const label = `${pkg.name ?? path}@${pkg.version ?? '?'} (${path})`;
  if (semver.validRange(range) === null) {
    problems.push(`${label}: engines.node "${range}" is not a semver range`);
    continue;
  }
  const excluded = targets.filter((v) => !semver.satisfies(v, range));
  if (excluded.length > 0) problems.push(`${label}: engines.node "${range}" excludes Node ${excluded.join(', ')}`);
}

if (problems.length > 0) {
  console.error(`check-engines: ${problems.length} problem(s) for Node ${targets.join(', ')} (engines.node ${supported}):`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
console.log(`check-engines: ${checked} installed packages accept Node ${targets.join(', ')} (engines.node ${supported})`);
