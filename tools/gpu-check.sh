#!/usr/bin/env bash
# The prepared GPU check (issue 7): build ggml's CUDA backend from the pinned sources, check that both engines'
# GPU offload equals their CPU/reference results, then run tools/bench on the CPU and with full offload, side by
# side in one run (its figures include drafting with demo-gemma4's MTP head on ollama's Go engine), then Gemma 4 at the
# 12B's shapes with random Q4_K weights generated there (tools/gemma4big: decode, prefill, VRAM). Made for the lent GPU
# machine, which has nvcc and CMake but no Go: bring a built binary and the staged ggml sources.
#   here:   make gpu-check-prep    (portable x86-64-v3 builds of the CLI, tools/bench, tools/gemma4big and the GPU tests, staged ggml sources)
#   there:  tools/gpu-check.sh     (carry .build/gpu-carry.tar.xz; it is unpacked into .build/gpu-carry)
# Results go to $OUT (if set) or .build/gpu-check/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-.build/gpu-check}
mkdir -p "$out"
carry=.build/gpu-carry
[ -d "$carry" ] || tar -C .build -xJf .build/gpu-carry.tar.xz
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
  # Gemma 4 at the 12B "unified" shapes with random Q4_K weights (issue 13, item 7; docs/GEMMA4.md §6):
  # tools/gemma4big writes the ~7 GB model (one layer of each kind reused for all 48), its gemma4ua projector
  # and a random MTP head here, in seconds (never carried, never under $out), loads them once through the
  # Gemma 4 engine with every layer on the GPU, hears a 20 s clip (500 audio rows in one batch, answers of 64
  # tokens; a warm-up, then medians of 2 rounds) plainly and with the head, and deletes the files. A random
  # head never agrees with the target: its figure is drafting overhead, not a speedup.
  echo "== Gemma 4, 12B shapes, random Q4_K weights, full offload"
  big=.build/gemma4big-scratch
  rm -rf "$big"
  start=$(date +%s)
  "$carry/bin/gemma4big" --out "$big" || echo "GEMMA 4 12B-SHAPE GENERATION FAILED"
  echo "generated in $(( $(date +%s) - start )) s"
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i 0 -lms 200 >"$out/gemma4-12b-vram.log" 2>/dev/null &
  smi=$!
  start=$(date +%s)
  OLLAMA_LIBRARY_PATH=$PWD/lib/ollama timeout 240 "$carry/bin/gemma4big" --bench --out "$big" --gpu-layers 999 --require-gpu \
    --seconds 20 --tokens 64 --rounds 2 --json "$out/gemma4-12b.json" || echo "GEMMA 4 12B-SHAPE BENCH FAILED"
  echo "measured in $(( $(date +%s) - start )) s (load included)"
  kill "$smi" 2>/dev/null || true
  echo "peak memory.used while measuring (GPU 0, sampled every 200 ms): $(sort -n "$out/gemma4-12b-vram.log" | tail -1) MiB"
  echo "seed's published figures (RTX 4090, not this machine or engine; not claimed equal): 80 tokens/s, 9 GB"
  rm -rf "$big"
} 2>&1 | tee "$out/gpu-check.log"
