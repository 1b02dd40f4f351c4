#!/usr/bin/env bash
# The `small` recipe on 100 and on 1,000 synthetic builds, on a lent GPU machine, each trained for
# about SECONDS seconds (the step count is set from a short speed probe), then sampled (256, DDIM-50)
# and evaluated; results land in benchmarks/results/eval_small-*.json (copied to $OUT when set).
#
#   bash benchmarks/gpu_recipes.sh --make-pylib     # here, once: pure-Python deps for a bare machine
#   bash benchmarks/gpu_recipes.sh [SECONDS [COUNT...]]  # there (carry outputs/gpu_pylib); 150, 100 1000
set -uo pipefail
cd "$(dirname "$0")/.."
if [[ ${1:-} == --make-pylib ]]; then
    SITE=$(.venv/bin/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    rm -rf outputs/gpu_pylib && mkdir -p outputs/gpu_pylib
    for p in typer click rich shellingham pygments markdown_it mdurl nbtlib PIL pillow.libs typing_extensions.py; do
        cp -r "$SITE/$p" outputs/gpu_pylib/ 2>/dev/null || echo "skip $p"
    done
    du -sh outputs/gpu_pylib
    exit 0
fi
SECONDS_PER_RECIPE=${1:-150}
COUNTS=("${@:2}")
[[ ${#COUNTS[@]} == 0 ]] && COUNTS=(100 1000)
source benchmarks/gpu_env.sh  # PY, PYTHONPATH (carried outputs/gpu_pylib if needed)
"$PY" -c "import torch, typer, PIL, numpy; print('torch', torch.__version__, 'numpy', numpy.__version__, 'gpu', torch.cuda.get_device_name(0))" || exit 1
rc=0
for n in "${COUNTS[@]}"; do
    "$PY" benchmarks/run_recipe.py --name "small-$n-gpu" --count "$n" --model-size small --batch-size 32 \
        --train-seconds "$SECONDS_PER_RECIPE" --device cuda --num-samples 256 --sample-steps 50 \
        --train-arg=--lr --train-arg=3e-4 --train-arg=--sample-every --train-arg=0 \
        --eval-arg=--guidance=1.5 --eval-arg=--cleanup=largest || rc=1
    [[ -n ${OUT:-} ]] && cp "benchmarks/results/eval_small-$n-gpu.json" "$OUT/" 2>/dev/null
done
exit $rc
