#!/usr/bin/env bash
# build-backend.sh OLLAMA_SRC cuda|vulkan "EXTRA CMAKE FLAGS"
# Builds one ggml GPU backend from the ollama module's CMake project (the sources the llama package was
# built from) and installs it, with the ggml-base it links against, into lib/ollama beside bin/.
set -euo pipefail
src=$1 kind=$2 extra=${3:-}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/.build/$kind
# The module cache is read-only and its CMakeLists forces CUDA flash-attention kernels (a long build);
# build from a copy with that switch left to the default.
stage=$root/.build/ollama-src
if [ "$(cd "$src" && pwd)" != "$stage" ]; then
  rm -rf "$stage"; mkdir -p "$stage/ml/backend/ggml"
  cp "$src/CMakeLists.txt" "$src/CMakePresets.json" "$stage/"
  cp -r "$src/ml/backend/ggml/ggml" "$stage/ml/backend/ggml/"
  chmod -R u+w "$stage"
fi
[ "${STAGE_ONLY:-}" = 1 ] && exit 0
sed -i 's/^set(GGML_CUDA_FA ON)/set(GGML_CUDA_FA OFF)/' "$stage/CMakeLists.txt"
target=ggml-cuda
[ "$kind" = vulkan ] && target=ggml-vulkan
# shellcheck disable=SC2086
cmake -S "$stage" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGGML_CCACHE=OFF $extra >"$build.configure.log" 2>&1 || {
  tail -30 "$build.configure.log"; exit 1; }
cmake --build "$build" --target "$target" -j "$(nproc)"
mkdir -p "$root/lib/ollama"
cp -a "$build"/lib/ollama/libggml-base.so* "$build"/lib/ollama/lib$target.so* "$root/lib/ollama/"
echo "installed $(ls "$root/lib/ollama")  into $root/lib/ollama"
