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
if [ "$kind" = vulkan ]; then
  target=ggml-vulkan
  # The module zip lacks ggml-vulkan's feature-test shaders, so every probe of glslc "passes" and the
  # build then fails on shaders an older glslc (Debian 12's shaderc 2023.2) cannot compile. Write probes
  # that report the optional extensions as unsupported (ggml reads "extension not supported: NAME" as no).
  ft=$stage/ml/backend/ggml/ggml/src/ggml-vulkan/vulkan-shaders/feature-tests
  mkdir -p "$ft"
  for ext in coopmat:GL_KHR_cooperative_matrix coopmat2:GL_NV_cooperative_matrix2 \
    integer_dot:GL_EXT_integer_dot_product bfloat16:GL_EXT_bfloat16; do
    printf '#version 460\n#extension %s_off : require\nvoid main() {}\n' "${ext#*:}" > "$ft/${ext%%:*}.comp"
  done
  # Vulkan headers older than 1.3.261 (Debian 12 has 1.3.239) lack VK_EXT_layer_settings, which ggml uses
  # only to ask the validation layer for best-practice warnings: create the instance without it there.
  if ! grep -rqs LayerSettingEXT /usr/include/vulkan/; then
    perl -0pi -e 's/VkBool32 enable_best_practice = layer_settings;.*?vk::LayerSettingsCreateInfoEXT layer_setting_info\(settings\);\n(\s*)vk::InstanceCreateInfo instance_create_info\(vk::InstanceCreateFlags\{\}, &app_info, layers, extensions, &layer_setting_info\);/(void)layer_settings;\n$1vk::InstanceCreateInfo instance_create_info(vk::InstanceCreateFlags{}, &app_info, layers, extensions);/s' \
      "$stage/ml/backend/ggml/ggml/src/ggml-vulkan/ggml-vulkan.cpp"
  fi
fi
# shellcheck disable=SC2086
cmake -S "$stage" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGGML_CCACHE=OFF $extra >"$build.configure.log" 2>&1 || {
  tail -30 "$build.configure.log"; exit 1; }
cmake --build "$build" --target "$target" -j "$(nproc)"
mkdir -p "$root/lib/ollama"
cp -a "$build"/lib/ollama/libggml-base.so* "$build"/lib/ollama/lib$target.so* "$root/lib/ollama/"
echo "installed $(ls "$root/lib/ollama")  into $root/lib/ollama"
