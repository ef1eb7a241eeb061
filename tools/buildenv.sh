#!/usr/bin/env bash
# Prints the environment every Go command in this repository runs with, so that `make`, tests and helper
# scripts share one set of cgo flags: a change of flags rebuilds llama.cpp (minutes on 2 cores).
#   eval "$(tools/buildenv.sh)"
# VERBATIM_MARCH picks the CPU target: native (default, fastest here) or a portable level such as x86-64-v3.
# VERBATIM_CACHE_DIR moves the generated headers (default: the user cache folder).
#
# On failure it prints the reason on stderr and `false` on stdout, so that `eval "$(tools/buildenv.sh)" && …`
# and `set -e` scripts stop there instead of building with half a set of flags.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
march=${VERBATIM_MARCH:-native}
cache=${VERBATIM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/verbatim}

fail() {
  echo "tools/buildenv.sh: $*" >&2
  echo false
  exit 1
}

# The module zip of ollama drops llama.cpp's vendor/ folder; malgo ships the same single-header miniaudio.
# Both malgo and llama.cpp's mtmd compile miniaudio's implementation, and one global of it is not static:
# a wrapper renames it on mtmd's side so the two copies link together.
#
# The wrapper and a copy of the header live in a folder named by malgo's version and the header's hash,
# outside the clone: the cgo flags then name the same path in every clone of the same go.mod, so Go's build
# cache (keyed by the flags) compiles llama.cpp once per machine, not once per folder, and a changed header
# gets a new folder and so a rebuild.
malgo_include() {
  (cd "$root" && go mod download github.com/gen2brain/malgo) >&2 ||
    fail "could not download github.com/gen2brain/malgo (go mod download failed; is the Go module proxy reachable?)"
  local info dir version
  info=$(cd "$root" && go list -m -f '{{.Dir}} {{.Version}}' github.com/gen2brain/malgo) ||
    fail "go list could not find github.com/gen2brain/malgo"
  dir=${info% *}
  version=${info##* }
  [ -n "$dir" ] && [ "$dir" != "$info" ] || fail "go list gave no folder for github.com/gen2brain/malgo (got '$info')"
  [ -f "$dir/miniaudio.h" ] || fail "malgo $version has no miniaudio.h in $dir"

  local hash out
  hash=$(sha256sum "$dir/miniaudio.h" | cut -c1-16)
  out="$cache/cgo-include/malgo-$version-$hash"
  local want_wrapper
  want_wrapper=$(printf '#define ma_atomic_global_lock mtmd_ma_atomic_global_lock\n#include "miniaudio_impl.h"')
  if ! cmp -s "$dir/miniaudio.h" "$out/miniaudio/miniaudio_impl.h" ||
    [ "$(cat "$out/miniaudio/miniaudio.h" 2>/dev/null)" != "$want_wrapper" ]; then
    # Written beside, then renamed into place: a build running at the same time never sees half a file.
    mkdir -p "$out/miniaudio" || fail "cannot create $out"
    local tmp
    tmp=$(mktemp -d "$out/.tmp.XXXXXX") || fail "cannot write in $out"
    cp "$dir/miniaudio.h" "$tmp/miniaudio_impl.h" && chmod 0644 "$tmp/miniaudio_impl.h" && printf '%s\n' "$want_wrapper" >"$tmp/miniaudio.h" &&
      mv -f "$tmp/miniaudio_impl.h" "$out/miniaudio/miniaudio_impl.h" &&
      mv -f "$tmp/miniaudio.h" "$out/miniaudio/miniaudio.h" || { rm -rf "$tmp"; fail "cannot write the miniaudio wrapper in $out"; }
    rmdir "$tmp"
  fi
  echo "$out"
}

inc=$(malgo_include) || { echo false; exit 1; }
echo "export CGO_ENABLED=1"
echo "export CGO_CPPFLAGS='-I$inc'"
echo "export CGO_CFLAGS='-O3 -march=$march'"
echo "export CGO_CXXFLAGS='-O3 -march=$march'"
