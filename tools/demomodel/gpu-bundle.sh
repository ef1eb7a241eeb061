#!/bin/bash
# Packs this machine's espeak-ng and sox (binaries, the libraries they link beyond glibc, and espeak-ng's English
# data) into one folder that runs elsewhere with PATH, LD_LIBRARY_PATH and ESPEAK_DATA_PATH set, for
# tools/demomodel/gpu.sh on a GPU machine that has neither and cannot install packages.
# Usage: tools/demomodel/gpu-bundle.sh OUT_DIR
set -euo pipefail
out=${1:?usage: gpu-bundle.sh OUT_DIR}
rm -rf "$out" && mkdir -p "$out/bin" "$out/lib" "$out/espeak-ng-data"
for b in espeak-ng sox; do cp -L "$(command -v $b)" "$out/bin/"; done
ldd "$out"/bin/* | awk '$3 ~ /^\// {print $3}' | sort -u | grep -Ev '/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*)\.so' |
  while read -r l; do cp -L "$l" "$out/lib/"; done
data=$(espeak-ng --version | sed -n 's/.*Data at: //p')
cp -r "$data"/{phondata,phonindex,phontab,intonations,en_dict,lang,voices} "$out/espeak-ng-data/"
du -sh "$out"
