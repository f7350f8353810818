#!/usr/bin/env bash
# The README's test command: installs (or names) the Debian tools the tests need, typechecks every workspace,
# then runs every test once, on the `node` first on PATH (npm scripts: node_modules/.bin/node, the pinned 24).
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/require-node.mjs
echo "patchbay: testing on Node $(node --version) ($(command -v node))"
bash scripts/ensure-tools.sh
npx --no-install turbo run typecheck --output-logs=errors-only
npx --no-install vitest run "$@"
