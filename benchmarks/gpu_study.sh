#!/usr/bin/env bash
# The GPU half of the objective / token-size study (issue "Buildings, not blobs"), for a lent GPU:
# `small` under both objectives at patch 2 and 4, the same training time each, raw evaluation, the
# results JSON and contact sheets copied to $OUT. Run it after benchmarks/gpu_check.sh, in one call:
#
#   bash benchmarks/gpu_check.sh 200; bash benchmarks/gpu_study.sh [SECONDS]   # default 90 s each
#   DEVICE=cpu PRESET=tiny QUICK=1 bash benchmarks/gpu_study.sh                # dry run here, toy size
#
# Pure-Python dependencies: as benchmarks/gpu_recipes.sh (carry outputs/gpu_pylib when the machine
# lacks typer, PIL or nbtlib).
set -uo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-90}
source benchmarks/gpu_env.sh  # PY, PYTHONPATH (carried outputs/gpu_pylib if needed)
EXTRA=()
[[ -n ${QUICK:-} ]] && EXTRA=(--quick)
"$PY" benchmarks/quality_study.py --preset "${PRESET:-small}" --device "${DEVICE:-cuda}" --budget "$SECONDS_EACH" \
    --variants gaussian-p4 masked-p4 gaussian-p2 masked-p2 --tag "${TAG:-gpu}" --extra-steps-p4 "${EXTRA[@]}"
rc=$?
if [[ -n ${OUT:-} ]]; then
    cp "benchmarks/results/quality_study_${TAG:-gpu}.json" "$OUT/" 2>/dev/null
    cp docs/study_"${TAG:-gpu}"_*.png "$OUT/" 2>/dev/null
fi
exit $rc
