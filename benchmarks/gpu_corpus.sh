#!/usr/bin/env bash
# The GPU recipe on the MineColonies corpus (issue "Real buildings at scale"), for a lent GPU: 32^3,
# `small`, masked, patch 4; import, train, raw evaluation on the held-out series, results and sheet
# copied to $OUT. The step count is a guess sized for <= 10 minutes of an H200 (unmeasured: no GPU
# was lent while it was written); check the training log's samples/s on the first run.
#
#   bash benchmarks/gpu_corpus.sh [STEPS]                                   # default 6000
#   DEVICE=cpu MODEL=tiny bash benchmarks/gpu_corpus.sh 20                  # dry run here, toy size
set -uo pipefail
cd "$(dirname "$0")/.."
STEPS=${1:-6000}
source benchmarks/gpu_env.sh  # PY, PYTHONPATH (carried outputs/gpu_pylib if needed)
SRC=${SOURCE:-../shared/data/minecolonies}
[[ -d shared/data/minecolonies ]] && SRC=shared/data/minecolonies
"$PY" benchmarks/corpus_recipe.py --name "${NAME:-mc32-gpu}" --work "${WORK:-/tmp/mc}" --source "$SRC" --size 32 \
    --fit scale --model-size "${MODEL:-small}" --max-steps "$STEPS" --batch-size "${BATCH:-64}" --lr 1e-3 \
    --device "${DEVICE:-cuda}" --threads 8 --num-samples 256
rc=$?
if [[ -n ${OUT:-} ]]; then
    cp "benchmarks/results/corpus_${NAME:-mc32-gpu}.json" "$OUT/" 2>/dev/null
    cp "docs/corpus_${NAME:-mc32-gpu}.png" "$OUT/" 2>/dev/null
fi
exit $rc
