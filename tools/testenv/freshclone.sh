#!/usr/bin/env bash
# make test's check that a newcomer's first build can work: a fresh clone of HEAD, on a machine whose Go
# module cache is empty, gets from tools/buildenv.sh cgo flags that (1) name no path inside the clone, so
# every clone shares one llama.cpp build in Go's cache, and (2) find a miniaudio wrapper that includes a
# header that exists and renames mtmd's copy of the clashing global. Seconds: it preprocesses, builds nothing.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "fresh-clone check: $*" >&2; exit 1; }

git clone -q "$root" "$tmp/clone"
env=$(cd "$tmp" && GOMODCACHE="$tmp/modcache" VERBATIM_CACHE_DIR="$tmp/cache" "$tmp/clone/tools/buildenv.sh") ||
  fail "tools/buildenv.sh failed with an empty module cache"
eval "$env"
case "$CGO_CPPFLAGS" in
  *"$tmp/clone"*) fail "the cgo flags name the clone's folder, so each clone rebuilds llama.cpp: $CGO_CPPFLAGS" ;;
esac
# mtmd-helper.cpp includes "miniaudio/miniaudio.h"; preprocess exactly that.
pp=$(printf '#include "miniaudio/miniaudio.h"\nma_atomic_global_lock\n' |
  gcc -E -P $CGO_CPPFLAGS -x c - 2>&1) || fail "the miniaudio wrapper does not preprocess: $(head -c 600 <<<"$pp")"
grep -q 'MA_VERSION_MAJOR\|ma_uint32' <<<"$pp" || fail "the wrapper does not include miniaudio's header"
grep -q 'mtmd_ma_atomic_global_lock' <<<"$pp" || fail "the wrapper does not rename ma_atomic_global_lock"
echo "fresh-clone check: ok (empty module cache; flags independent of the clone's folder)"
