// Fails fast, naming what to install, when the `node` on PATH is older than Patchbay supports (the same rule as
// gateway/src/node-version.ts and engines.node in package.json). Plain JavaScript so that any Node can run it.
const [major, minor] = process.versions.node.split('.').map(Number);
if (!(major >= 24 || (major === 22 && minor >= 16))) {
  process.stderr.write(
    `patchbay: Node ${process.version} is not supported: Patchbay needs Node 22.16+ or 24 (24 LTS recommended).\n` +
      '  On Linux x64/arm64, `npm ci` installs Node 24 for every npm script (node_modules/.bin/node): use `npm test`.\n' +
      '  Elsewhere, install Node 24 LTS (for example `nvm install 24` or `fnm install 24`) and run it again.\n',
  );
  process.exit(1);
}
