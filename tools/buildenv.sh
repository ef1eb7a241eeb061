#!/usr/bin/env bash
# Prints the environment every Go command in this repository runs with, so that `make`, tests and helper
# scripts share one set of cgo flags: a change of flags rebuilds llama.cpp (minutes on 2 cores).
#   eval "$(tools/buildenv.sh)"
# VERBATIM_MARCH picks the CPU target: native (default, fastest here) or a portable level such as x86-64-v3.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
march=${VERBATIM_MARCH:-native}
inc="$root/.build/include"
if [ ! -e "$inc/miniaudio/miniaudio.h" ]; then
  # The module zip of ollama drops llama.cpp's vendor/ folder; malgo ships the same single-header miniaudio.
  malgo=$(cd "$root" && go list -m -f '{{.Dir}}' github.com/gen2brain/malgo)
  mkdir -p "$inc/miniaudio"
  ln -sf "$malgo/miniaudio.h" "$inc/miniaudio/miniaudio.h"
fi
echo "export CGO_ENABLED=1"
echo "export CGO_CPPFLAGS='-I$inc'"
echo "export CGO_CFLAGS='-O3 -march=$march'"
echo "export CGO_CXXFLAGS='-O3 -march=$march'"
