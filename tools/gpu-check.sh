#!/usr/bin/env bash
# The prepared GPU check (issue 7): build ggml's CUDA backend from the pinned sources, check that both engines'
# GPU offload equals their CPU/reference results, then run tools/bench on the CPU and with full offload, side by
# side in one run (its figures include drafting with demo-gemma4's MTP head on ollama's Go engine). Made for the lent GPU
# machine, which has nvcc and CMake but no Go: bring a built binary and the staged ggml sources.
#   here:   make gpu-check-prep    (portable x86-64-v3 builds of the CLI, tools/bench and the GPU test, staged ggml sources)
#   there:  tools/gpu-check.sh     (carry .build/gpu-carry)
# Results go to $OUT (if set) or .build/gpu-check/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-.build/gpu-check}
mkdir -p "$out"
carry=.build/gpu-carry
bin=${VERBATIM_BIN:-$carry/bin/verbatim}
bench=${VERBATIM_BENCH:-$carry/bin/bench}
src=${OLLAMA_SRC:-.build/ollama-src}
[ -d "$src" ] || cp -r "$carry/ollama-src" "$src"
{
  echo "== device"; nvidia-smi -L || true; nvcc --version | tail -1 || true
  echo "== build CUDA backend"
  start=$(date +%s)
  tools/gpu/build-backend.sh "$src" cuda "-DCMAKE_CUDA_ARCHITECTURES=${CUDA_ARCH:-native}"
  echo "built in $(( $(date +%s) - start )) s"
  # The binaries look for GPU backends in ../lib/ollama beside themselves.
  mkdir -p "$carry/lib"; rm -rf "$carry/lib/ollama"; cp -r lib/ollama "$carry/lib/ollama"
  echo "== GPU offload equals the CPU (synthetic model)"
  OLLAMA_LIBRARY_PATH=$PWD/lib/ollama "$carry/bin/inference.test" -test.run 'GPU' -test.v || echo "GPU TEST FAILED"
  # ollama's loader takes a backend folder only when its path contains lib/ollama, as this one does.
  echo "== Gemma 4 engine: GPU offload equals the plain-Go reference (synthetic Gemma 4)"
  OLLAMA_LIBRARY_PATH=$PWD/lib/ollama "$carry/bin/gemma4.test" -test.run 'GPU' -test.v || echo "GEMMA 4 GPU TEST FAILED"
  echo "== verbatim version --verbose"
  "$bin" version --verbose
  echo "== bench, CPU only"
  "$bench" --json --rounds 3 --bin "$bin" --gpu-layers 0 | tee "$out/bench-cpu.json" || echo "CPU BENCH FAILED"
  echo "== bench, full offload"
  "$bench" --json --rounds 3 --bin "$bin" --gpu-layers 999 | tee "$out/bench-gpu.json" || echo "GPU BENCH FAILED"
} 2>&1 | tee "$out/gpu-check.log"
