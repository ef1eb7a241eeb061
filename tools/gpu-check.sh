#!/usr/bin/env bash
# The prepared GPU check (issue 7): build ggml's CUDA backend from the pinned sources, then run
# `verbatim bench` on the CPU and with full offload, side by side in one run. Made for the lent GPU
# machine, which has nvcc and CMake but no Go: bring a built binary and the staged ggml sources.
#   here:   VERBATIM_TAGS=nogui make build-nogui && STAGE_ONLY=1 tools/gpu/build-backend.sh "$(go list -m -f '{{.Dir}}' github.com/ollama/ollama)" cuda
#   there:  tools/gpu-check.sh            (carry bin/ and .build/ollama-src)
# Results go to $OUT (if set) or .build/gpu-check/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-.build/gpu-check}
mkdir -p "$out"
bin=${VERBATIM_BIN:-bin/verbatim-nogui}
src=${OLLAMA_SRC:-.build/ollama-src}
{
  echo "== device"; nvidia-smi -L || true; nvcc --version | tail -1 || true
  echo "== build CUDA backend"
  start=$(date +%s)
  tools/gpu/build-backend.sh "$src" cuda "-DCMAKE_CUDA_ARCHITECTURES=${CUDA_ARCH:-native}"
  echo "built in $(( $(date +%s) - start )) s"
  echo "== verbatim version --verbose"
  "$bin" version --verbose
  echo "== bench, CPU only"
  "$bin" bench --json --rounds 3 --gpu-layers 0 | tee "$out/bench-cpu.json"
  echo "== bench, full offload"
  "$bin" bench --json --rounds 3 --gpu-layers 999 | tee "$out/bench-gpu.json"
} 2>&1 | tee "$out/gpu-check.log"
