#!/bin/bash
# Whole demo-model pipeline: check the text generator and the development/test sets, synthesise, train (two
# single-thread workers), evaluate, export, convert, then build bin/verbatim with the new models and score the
# development and test sets through the CLI (testset/README.md), and write the model card.
# Usage: tools/demomodel/run.sh [assets dir]   (called by `make demo-model`)
# Environment: WORK (scratch folder, default tools/demomodel/work), *_STEPS to shorten a smoke test,
# SALAD (share of grammar-free training sequences), SCORE_TESTSET=0 to skip the build and the CLI scoring,
# CKPT (a folder of logmel.pt, draft.pt and raw.pt trained elsewhere by gpu.sh) with DATA (the text-only set
# they were trained on, default .gpu/data) to skip synthesis and training and do the rest.
# The Gemma-4-architecture model (demo-gemma4, gemma.py) is fine-tuned from the finished log-mel model on the
# 2 CPU cores here for GEMMA_MINUTES (GEMMA_SHARDS shards of the text-only set rendered first when CKPT has no
# audio), unless CKPT holds a gemma.pt already.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ASSETS=${1:-assets/models}
case "$ASSETS" in /*) ;; *) ASSETS=$ROOT/$ASSETS ;; esac
PY=${PYTHON:-/usr/bin/python3}
cd "$ROOT/tools/demomodel"
W=${WORK:-work}
# Step counts: what fits the time budget on the 2-core build machine (see MODEL_CARD.md). The *_MINUTES caps
# end a schedule early (its cosine decay follows the clock) when the machine is busier than planned, so the
# whole run stays within 75 minutes.
LOGMEL_STEPS=${LOGMEL_STEPS:-6000}
LOGMEL_MINUTES=${LOGMEL_MINUTES:-48}
TOKEN_NOISE=${TOKEN_NOISE:-0.1}
MTP_FF=${MTP_FF:-384}
SNAPSHOT=${SNAPSHOT:-450}
DRAFT_STEPS=${DRAFT_STEPS:-8000}
DRAFT_MINUTES=${DRAFT_MINUTES:-25}
RAW_STEPS=${RAW_STEPS:-2000}
RAW_MINUTES=${RAW_MINUTES:-25}
GEMMA_STEPS=${GEMMA_STEPS:-100000}
GEMMA_SHARDS=${GEMMA_SHARDS:-23}
N_TRAIN=${N_TRAIN:-20000}
N_HELDOUT=${N_HELDOUT:-90}
SALAD=${SALAD:-0.2}
CKPT=${CKPT:-}
if [ -n "$CKPT" ]; then DATA=${DATA:-$ROOT/.gpu/data}; else DATA=${DATA:-$W/data}; fi
# 45 minutes after a GPU run (the shipped model's recipe), 6 within make demo-model's 75.
if [ -n "$CKPT" ]; then GEMMA_MINUTES=${GEMMA_MINUTES:-45}; else GEMMA_MINUTES=${GEMMA_MINUTES:-6}; fi
mkdir -p "$W/ckpt" "$W/eval"
export OMP_NUM_THREADS=1
T0=$(date +%s)
stamp() { echo "== [$(( ($(date +%s) - T0) / 60 )) min] $*"; }

stamp "checking the sentence generator, its translations and the development/test sets"
$PY test_textgen.py
$PY testset/build.py --check

if [ -n "$CKPT" ]; then
  stamp "using the checkpoints in $CKPT (trained by gpu.sh on the text-only set in $DATA)"
  rm -f "$W"/ckpt/*
  cp "$CKPT"/logmel.pt "$CKPT"/draft.pt "$CKPT"/raw.pt "$CKPT"/*.log "$W/ckpt/"
  [ ! -f "$CKPT/gemma.pt" ] || cp "$CKPT/gemma.pt" "$W/ckpt/"
  cmp "$CKPT/tokens.json" "$DATA/tokens.json"
elif [ ! -f "$DATA/train.npz" ]; then
  stamp "synthesising $N_TRAIN training + $N_HELDOUT held-out utterances"
  $PY synth.py --out "$DATA" --train "$N_TRAIN" --heldout "$N_HELDOUT" --salad "$SALAD" 2> >(grep -v WARN >&2)
fi

A=""; B=""
if [ -z "$CKPT" ]; then
  stamp "training: log-mel main model with its MTP head | drafter, then raw-frame model warm-started from log-mel step $SNAPSHOT"
  rm -f "$W"/ckpt/*
  $PY train.py --data "$DATA" --out "$W/ckpt/logmel.pt" --fe logmel --steps "$LOGMEL_STEPS" \
    --minutes "$LOGMEL_MINUTES" --mtp_ff "$MTP_FF" --speed_perturb --token_noise "$TOKEN_NOISE" --snapshot_at "$SNAPSHOT" --threads 1 --seed 1 &
  A=$!
  (
    $PY train.py --data "$DATA" --out "$W/ckpt/draft.pt" --fe logmel --d 128 --layers 2 --heads 2 --ff 384 \
      --steps "$DRAFT_STEPS" --minutes "$DRAFT_MINUTES" --speed_perturb --token_noise "$TOKEN_NOISE" --threads 1 --seed 2
    while [ ! -f "$W/ckpt/logmel.pt.step$SNAPSHOT" ]; do
      kill -0 $A 2>/dev/null || { echo "log-mel training died" >&2; exit 1; }
      sleep 5
    done
    $PY train.py --data "$DATA" --out "$W/ckpt/raw.pt" --fe raw --init "$W/ckpt/logmel.pt.step$SNAPSHOT" \
      --steps "$RAW_STEPS" --minutes "$RAW_MINUTES" --speed_perturb --threads 1 --seed 3
  ) &
  B=$!
fi
[ -z "$A" ] || wait $A
stamp "evaluating log-mel and drafter on held-out speech"
$PY evaluate.py --data "$DATA" --ckpt "$W/ckpt/logmel.pt" --out "$W/eval/demo-logmel.json"
$PY evaluate.py --data "$DATA" --ckpt "$W/ckpt/draft.pt" --out "$W/eval/demo-draft.json"
stamp "evaluating log-mel on the development set (PyTorch)"
$PY evaluate.py --data "$DATA" --ckpt "$W/ckpt/logmel.pt" --tsv testset/dev.tsv --out "$W/eval/dev-logmel.json"
[ -z "$B" ] || wait $B
stamp "evaluating raw-frame model"
$PY evaluate.py --data "$DATA" --ckpt "$W/ckpt/raw.pt" --q8 --out "$W/eval/demo-raw.json"
if [ ! -f "$W/ckpt/gemma.pt" ]; then
  GDATA=$DATA
  if [ ! -f "$DATA/train.npz" ]; then
    # CKPT's set is text only: render its first shards here (a fine-tune needs far less than a training run).
    GDATA=$W/gemma-data
    mkdir -p "$GDATA"
    for f in heldout.json heldout.npz heldout_pairs.json tokens.json; do cp "$DATA/$f" "$GDATA/"; done
    $PY -c 'import json,sys; json.dump(json.load(open(sys.argv[1], encoding="utf-8"))[:int(sys.argv[3])], open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)' \
      "$DATA/train.json" "$GDATA/train.json" $((GEMMA_SHARDS * 500))
    stamp "rendering $((GEMMA_SHARDS * 500)) training utterances for the Gemma 4 fine-tune"
    $PY synth.py --render "$GDATA/train.json" --shard 500 --procs 2 2> >(grep -v WARN >&2)
  fi
  stamp "fine-tuning the Gemma-4-architecture model from the log-mel model ($GEMMA_MINUTES min, 2 threads)"
  # Its sizes are the log-mel model's (gemma.from_llama).
  $PY train.py --data "$GDATA" --out "$W/ckpt/gemma.pt" --arch gemma4 --from_llama "$W/ckpt/logmel.pt" --freeze_proj \
    --fe logmel --mtp_ff "$MTP_FF" --steps "$GEMMA_STEPS" --minutes "$GEMMA_MINUTES" --lr 5e-4 --warmup 50 --batch 24 \
    --speed_perturb --token_noise "$TOKEN_NOISE" --threads 2 --seed 4 --ckpt_every 100
fi
stamp "evaluating the Gemma-4-architecture model"
$PY evaluate.py --data "$DATA" --ckpt "$W/ckpt/gemma.pt" --q8 --out "$W/eval/demo-gemma4.json"
$PY evaluate.py --data "$DATA" --ckpt "$W/ckpt/gemma.pt" --q8 --tsv testset/dev.tsv --out "$W/eval/dev-gemma4.json"

stamp "exporting, converting to GGUF (tools/ggufconv), writing fixture and model card"
rm -rf "$W/export" && mkdir -p "$W/export" "$ASSETS"
MODELS="--model demo-logmel=$W/ckpt/logmel.pt --model demo-raw=$W/ckpt/raw.pt --model demo-draft=$W/ckpt/draft.pt --model demo-gemma4=$W/ckpt/gemma.pt"
# Q8_0 for the two models only tests and tools read (not in the binary), so all files stay within 20 MB;
# demo-gemma4 hears through demo-logmel's projector (its fine-tune kept it frozen).
LAYOUT="--q8 demo-raw --q8 demo-gemma4 --shared_projector demo-gemma4"
$PY export.py --data "$DATA" --out "$W/export" $MODELS $LAYOUT
MANIFEST=$(cd "$W/export" && pwd)/manifest.json
(cd "$ROOT" && go run ./tools/ggufconv -manifest "$MANIFEST" -out "$ASSETS")
$PY fixture.py --data "$DATA" --out "$ASSETS/fixture.json" $MODELS $LAYOUT
if [ "${SCORE_TESTSET:-1}" != 0 ]; then
  # The test set is scored once per shipped model, here, through the CLI a user runs (no --model for the
  # bundled demo-gemma4 when the models went to assets/models, which the binary embeds).
  stamp "building bin/verbatim with the new models; scoring the development and test sets through the CLI"
  CLI=()
  [ "$ASSETS" -ef "$ROOT/assets/models" ] || CLI=(--model "$ASSETS/demo-gemma4.gguf" --projector "$ASSETS/demo-logmel.mmproj.gguf")
  if (cd "$ROOT" && make build); then
    $PY testset/score.py --set dev --bin "$ROOT/bin/verbatim" --out "$W/eval/cli-dev.json" -- ${CLI[@]+"${CLI[@]}"} || true
    $PY testset/score.py --set test --bin "$ROOT/bin/verbatim" --out "$W/eval/cli-test.json" -- ${CLI[@]+"${CLI[@]}"} || true
    $PY testset/score.py --set test --bin "$ROOT/bin/verbatim" --out "$W/eval/cli-test-logmel.json" -- \
      --model "$ASSETS/demo-logmel.gguf" --projector "$ASSETS/demo-logmel.mmproj.gguf" || true
    $PY testset/score.py --set test --bin "$ROOT/bin/verbatim" --out "$W/eval/cli-test-raw.json" -- \
      --model "$ASSETS/demo-raw.gguf" --projector "$ASSETS/demo-raw.mmproj.gguf" || true
    # The models' test-set figures, kept beside them: the card quotes them and make test checks the shipped
    # models still score them (tools/demomodel/testset/testset_test.go).
    [ ! -f "$W/eval/cli-test.json" ] || cp "$W/eval/cli-test.json" "$ASSETS/testset-result.json"
    [ ! -f "$W/eval/cli-test-logmel.json" ] || cp "$W/eval/cli-test-logmel.json" "$ASSETS/testset-result-logmel.json"
  else
    echo "make build failed: the test set is not scored" >&2
  fi
fi
$PY card.py --data "$DATA" --eval "$W/eval" --assets "$ASSETS"
stamp "done: $ASSETS"
ls -la "$ASSETS"
