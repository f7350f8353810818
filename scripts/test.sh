#!/usr/bin/env bash
# The README's test command: installs (or names) the Debian tools the tests need, typechecks every workspace,
# then runs every test once.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh
npx --no-install turbo run typecheck --output-logs=errors-only
npx --no-install vitest run "$@"
