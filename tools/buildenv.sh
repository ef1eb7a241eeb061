#!/usr/bin/env bash
# Prints the environment every Go command in this repository runs with, so that `make`, tests and helper
# scripts share one set of cgo flags: a change of flags rebuilds llama.cpp (minutes on 2 cores).
#   eval "$(tools/buildenv.sh)"
# VERBATIM_MARCH picks the CPU target: native (default, fastest here) or a portable level such as x86-64-v3.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
march=${VERBATIM_MARCH:-native}
inc="$root/.build/include"
if [ ! -f "$inc/miniaudio/miniaudio.h" ] || [ -L "$inc/miniaudio/miniaudio.h" ]; then
  # The module zip of ollama drops llama.cpp's vendor/ folder; malgo ships the same single-header miniaudio.
  # Both malgo and llama.cpp's mtmd compile miniaudio's implementation, and one global of it is not static:
  # rename it on mtmd's side so the two copies link together.
  malgo=$(cd "$root" && go list -m -f '{{.Dir}}' github.com/gen2brain/malgo)
  mkdir -p "$inc/miniaudio"
  rm -f "$inc/miniaudio/miniaudio.h"
  printf '#define ma_atomic_global_lock mtmd_ma_atomic_global_lock\n#include "%s/miniaudio.h"\n' "$malgo" > "$inc/miniaudio/miniaudio.h"
fi
echo "export CGO_ENABLED=1"
# The define changes nothing in the code; it keys Go's build cache to this header arrangement.
echo "export CGO_CPPFLAGS='-I$inc -DVERBATIM_MINIAUDIO_WRAP=1'"
echo "export CGO_CFLAGS='-O3 -march=$march'"
echo "export CGO_CXXFLAGS='-O3 -march=$march'"
