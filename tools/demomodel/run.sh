#!/bin/bash
# Whole demo-model pipeline: synthesise, train (two single-thread workers), evaluate, export, convert.
# Usage: tools/demomodel/run.sh <assets dir>   (run from the repository root; called by `make demo-model`)
set -euo pipefail
ROOT=$(pwd)
ASSETS=${1:-$ROOT/assets/models}
case "$ASSETS" in /*) ;; *) ASSETS=$ROOT/$ASSETS ;; esac
PY=${PYTHON:-/usr/bin/python3}
cd "$(dirname "$0")"
# step counts measured to fit the 75-minute budget on a 2-core machine (see MODEL_CARD.md)
LOGMEL_STEPS=${LOGMEL_STEPS:-2200}
SNAPSHOT=${SNAPSHOT:-450}
DRAFT_STEPS=${DRAFT_STEPS:-1063}
RAW_STEPS=${RAW_STEPS:-1500}
N_TRAIN=${N_TRAIN:-10000}
mkdir -p work/ckpt work/eval work/export
export OMP_NUM_THREADS=1

if [ ! -f work/data/train.npz ]; then
  echo "== synthesising $N_TRAIN training + 90 held-out utterances"
  $PY synth.py --out work/data --train "$N_TRAIN" --heldout 90 2> >(grep -v WARN >&2)
fi

echo "== training (log-mel main model | drafter, then raw-frame model warm-started from the log-mel snapshot)"
rm -f work/ckpt/*.log
(
  $PY train.py --out work/ckpt/logmel.pt --fe logmel --steps "$LOGMEL_STEPS" --snapshot_at "$SNAPSHOT" --threads 1 --seed 1
) &
A=$!
(
  $PY train.py --out work/ckpt/draft.pt --fe logmel --d 128 --layers 2 --heads 2 --ff 384 --steps "$DRAFT_STEPS" \
    --threads 1 --seed 2
  while [ ! -f work/ckpt/logmel.pt.step$SNAPSHOT ]; do sleep 5; done
  $PY train.py --out work/ckpt/raw.pt --fe raw --init work/ckpt/logmel.pt.step$SNAPSHOT --steps "$RAW_STEPS" \
    --threads 1 --seed 3
) &
B=$!
wait $A
echo "== evaluating log-mel and drafter"
$PY evaluate.py --ckpt work/ckpt/logmel.pt --out work/eval/demo-logmel.json
$PY evaluate.py --ckpt work/ckpt/draft.pt --out work/eval/demo-draft.json
wait $B
echo "== evaluating raw"
$PY evaluate.py --ckpt work/ckpt/raw.pt --out work/eval/demo-raw.json

echo "== exporting and converting to GGUF"
rm -rf work/export && mkdir -p work/export "$ASSETS"
$PY export.py --out work/export --model demo-logmel=work/ckpt/logmel.pt --model demo-raw=work/ckpt/raw.pt \
  --model demo-draft=work/ckpt/draft.pt
(cd "$ROOT" && go run ./tools/ggufconv -manifest tools/demomodel/work/export/manifest.json -out "$ASSETS")
$PY fixture.py --out "$ASSETS/fixture.json" --model demo-logmel=work/ckpt/logmel.pt \
  --model demo-raw=work/ckpt/raw.pt --model demo-draft=work/ckpt/draft.pt
$PY card.py --assets "$ASSETS"
echo "== done: $ASSETS"
ls -la "$ASSETS"
