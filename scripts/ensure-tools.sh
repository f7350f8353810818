#!/usr/bin/env bash
# Makes sure every Debian tool the tests drive is installed. As root with apt-get, installs what is missing;
# otherwise fails with the exact install line. Never lets the tests skip a missing tool silently.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
missing=()
while read -r bin pkg _; do
  [[ -z "${bin}" || "${bin}" == \#* ]] && continue
  if [[ "$bin" == */* ]]; then
    # A path (glob) for tools Debian keeps off PATH, e.g. /usr/lib/postgresql/*/bin/initdb.
    compgen -G "$bin" >/dev/null || missing+=("$pkg")
  else
    command -v "$bin" >/dev/null 2>&1 || missing+=("$pkg")
  fi
done < "$here/debian-tools.txt"
[[ ${#missing[@]} -eq 0 ]] && exit 0
line="apt-get install -y --no-install-recommends ${missing[*]}"
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "patchbay: installing test tools: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends ${missing[*]} >/dev/null
  exit 0
fi
echo "patchbay: the tests need Debian packages that are missing. Install them with:" >&2
echo "  sudo $line" >&2
exit 1
