#!/bin/bash
# Trains the demo models on one CUDA GPU in a fixed wall-clock budget: the log-mel model with its MTP head, the
# drafter, and the raw-frame (gemma4ua) model warm-started from the log-mel model, while espeak-ng renders the
# training set in shards beside them (training starts on the first shard). Run where `python3` has PyTorch with
# CUDA; espeak-ng and sox come from a bundle when the machine has none.
#   here:  tools/demomodel/gpu-bundle.sh .gpu/bundle
#          /usr/bin/python3 tools/demomodel/synth.py --out .gpu/data --train 30000 --text_only
#   there: tools/demomodel/gpu.sh   (writes the checkpoints and logs to $OUT)
#   here:  tools/demomodel/run.sh with CKPT=<that folder> does the rest (evaluate, export, score, card).
# Environment: MINUTES (whole budget, default 8), DATA (default .gpu/data), BUNDLE (default .gpu/bundle),
# DEVICE (default cuda; cpu to try the script), SNAPSHOT (log-mel step the raw-frame model starts from).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUNDLE=${BUNDLE:-$ROOT/.gpu/bundle}
DATA=${DATA:-$ROOT/.gpu/data}
OUT=${OUT:-$ROOT/.gpu/out}
MINUTES=${MINUTES:-8}
PY=${PYTHON:-python3}
DEVICE=${DEVICE:-cuda}
SNAPSHOT=${SNAPSHOT:-1000}
if [ -d "$BUNDLE" ]; then
  export PATH=$BUNDLE/bin:$PATH LD_LIBRARY_PATH=$BUNDLE/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} ESPEAK_DATA_PATH=$BUNDLE
fi
T0=$(date +%s)
END=$((T0 + MINUTES * 60 - 30))   # 30 s left for the last checkpoints and the copy
W=$(mktemp -d)
mkdir -p "$W/data" "$W/ckpt" "$OUT"
cp "$DATA"/train.json "$DATA"/tokens.json "$W/data/"
espeak-ng --version
"$PY" -c 'import torch; print("torch", torch.__version__, torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU")'
cd "$ROOT/tools/demomodel"
"$PY" synth.py --render "$W/data/train.json" --shard 1000 --procs 12 2>"$W/render.err" &
pids=($!)
COMMON=(--data "$W/data" --device "$DEVICE" --speed_perturb --steps 1000000 --until "$END" --threads 1 --ckpt_every 500)
"$PY" train.py "${COMMON[@]}" --out "$W/ckpt/logmel.pt" --fe logmel --layers 6 --batch 64 --lr 1.2e-3 \
  --warmup 300 --mtp_ff 384 --token_noise 0.1 --snapshot_at "$SNAPSHOT" --workers 5 --seed 1 &
pids+=($!)
"$PY" train.py "${COMMON[@]}" --out "$W/ckpt/draft.pt" --fe logmel --d 128 --layers 2 --heads 2 --ff 384 \
  --batch 64 --lr 1.5e-3 --warmup 300 --token_noise 0.1 --workers 3 --seed 2 &
pids+=($!)
(
  while [ ! -f "$W/ckpt/logmel.pt.step$SNAPSHOT" ]; do sleep 2; [ "$(date +%s)" -lt "$END" ] || exit 1; done
  sleep 2
  exec "$PY" train.py "${COMMON[@]}" --out "$W/ckpt/raw.pt" --fe raw --layers 6 --init "$W/ckpt/logmel.pt.step$SNAPSHOT" \
    --batch 64 --lr 1e-3 --warmup 200 --workers 4 --seed 3
) &
pids+=($!)
# Progress for the caller, and stop everything as soon as one part fails.
while :; do
  sleep ${POLL:-30}
  echo "== $(( $(date +%s) - T0 )) s: $(ls "$W/data" | grep -c '_[0-9]*\.npz$') shards"
  for f in "$W"/ckpt/*.log; do [ -f "$f" ] && echo "$(basename "$f"): $(tail -1 "$f")"; done
  running=()
  for p in "${pids[@]}"; do
    if kill -0 "$p" 2>/dev/null; then running+=("$p"); elif ! wait "$p"; then
      echo "a part failed (pid $p)"; tail -5 "$W/render.err"; kill "${pids[@]}" 2>/dev/null; exit 1
    fi
  done
  [ ${#running[@]} -gt 0 ] || break
  pids=("${running[@]}")
done
cp "$W"/ckpt/logmel.pt "$W"/ckpt/draft.pt "$W"/ckpt/raw.pt "$W"/ckpt/*.log "$W/data/tokens.json" "$OUT/"
nvidia-smi --query-gpu=name,memory.used --format=csv || true
ls -la "$OUT"
