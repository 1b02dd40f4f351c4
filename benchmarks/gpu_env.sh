# Sourced by the GPU scripts (gpu_recipes.sh, gpu_study.sh, gpu_corpus.sh) from the repository root:
# PY (default python3), PYTHONPATH with the repository, plus the carried pure-Python packages
# (outputs/gpu_pylib) when the machine lacks typer, PIL or nbtlib; unbuffered output.
PY=${PYTHON:-python3}
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
if ! "$PY" -c "import typer, PIL, nbtlib" 2>/dev/null && [[ -d outputs/gpu_pylib ]]; then
    export PYTHONPATH=$PYTHONPATH:$PWD/outputs/gpu_pylib
fi
export PYTHONUNBUFFERED=1
