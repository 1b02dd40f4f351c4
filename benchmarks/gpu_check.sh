#!/usr/bin/env bash
# One-shot GPU check of the trainer (about 5 minutes on one H100/H200):
#   1. a private venv over the machine's own torch (no network needed: --system-site-packages,
#      mcgen installed editable without dependencies; falls back to PYTHONPATH),
#   2. `small` bf16 training speed at batch 8 and 64 (it/s, samples/s, FLOP/s, MFU vs the bf16
#      matmul peak measured in the same run) and DDIM-10 sampling speed,
#   3. a real `mcgen train` run of `small` (bf16, a few hundred steps on a synthetic dataset) with
#      sampling and checkpoints, then the checkpoint is loaded back,
#   4. the CPU training benchmark on 2 threads of this machine (an uncontended CPU figure).
# Usage: bash benchmarks/gpu_check.sh [STEPS]   (from the repository root; logs to $OUT if set)
set -uo pipefail
cd "$(dirname "$0")/.."
STEPS=${1:-300}
LOG_DIR=${OUT:-/tmp/mcgen-gpu-check}
mkdir -p "$LOG_DIR"
WORK=$(mktemp -d /tmp/mcgen-gpu.XXXX)
T0=$(date +%s)
stamp() { echo "== [$(( $(date +%s) - T0 ))s] $*"; }
FAILED=()
check() { local rc=$?; [[ $rc == 0 ]] || { echo "!! step failed (exit $rc): $1"; FAILED+=("$1"); }; }

stamp "environment"
VENV=$WORK/venv
BASE_PY=${PYTHON:-python3}
"$BASE_PY" -m venv --system-site-packages "$VENV"
PY=$VENV/bin/python
# When python3 is itself a venv (as on the lent GPU machines), --system-site-packages only reaches
# the base interpreter: point the new venv at python3's own site-packages (torch and friends).
"$BASE_PY" -c "import site; print('\n'.join(site.getsitepackages()))" \
    >"$("$PY" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")/machine-site.pth"
if ! "$PY" -m pip install -q --no-deps --no-build-isolation --no-index -e . >"$LOG_DIR/pip.log" 2>&1; then
    echo "editable install failed (see pip.log); using PYTHONPATH instead"
    export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
"$PY" -c "import torch, numpy; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'numpy', numpy.__version__, 'gpu', torch.cuda.get_device_name(0))" \
    || { echo "no usable torch with CUDA here"; exit 1; }

stamp "training + sampling speed: small, bf16, batch 8 and 64"
"$PY" benchmarks/train_speed.py --device cuda --amp bf16 --presets small --patch 0 --batch 8 64 \
    --steps 100 --warmup 10 --sample --sample-n 16 --json "$LOG_DIR/train_speed_gpu.json" 2>&1 | tee "$LOG_DIR/train_speed_gpu.txt"
check "train_speed.py on cuda"

stamp "mcgen train: small, bf16, $STEPS steps of batch 8 (samples every 100, checkpoints every 150)"
"$PY" -m mcgen dataset synth --out "$WORK/ds" --count 256 --no-preview >/dev/null
"$PY" -m mcgen train --data "$WORK/ds" --out "$WORK/out" --model-size small --max-steps "$STEPS" \
    --batch-size 8 --lr 3e-4 --sample-every 100 --ckpt-every 150 --log-every 50 --device cuda 2>&1 | tee "$LOG_DIR/train_run.txt"
check "mcgen train on cuda"
"$PY" - "$WORK/out" <<'PYEOF'
import json, sys
from pathlib import Path
from mcgen.checkpoint import load_checkpoint
out = Path(sys.argv[1])
ck = load_checkpoint(out / "checkpoints" / "latest.pt")
recs = [json.loads(l) for l in (out / "metrics.jsonl").read_text().splitlines()]
print(f"checkpoint step {ck.step}, train state {'yes' if ck.train_state else 'no'}; "
      f"loss {recs[0]['loss']:.3f} -> {recs[-1]['loss']:.3f}; {recs[-1]['samples_per_s']:.1f} samples/s in the loop")
print("files:", sorted(p.name for p in out.iterdir()))
PYEOF
check "reload of the trained checkpoint"
cp "$WORK/out/progress.png" "$LOG_DIR/progress_gpu.png" 2>/dev/null || true
cp "$WORK/out/loss.png" "$LOG_DIR/loss_gpu.png" 2>/dev/null || true

stamp "CPU training speed on 2 threads of this machine (patch 4)"
"$PY" benchmarks/train_speed.py --device cpu --threads 2 --presets tiny small --patch 4 --batch 8 --steps 4 \
    --json "$LOG_DIR/train_speed_cpu2.json" 2>&1 | tee "$LOG_DIR/train_speed_cpu2.txt"
check "train_speed.py on cpu"
stamp "done; ${#FAILED[@]} failed step(s)${FAILED:+: ${FAILED[*]}}"
[[ ${#FAILED[@]} == 0 ]]
