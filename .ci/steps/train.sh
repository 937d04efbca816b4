#!/usr/bin/env bash
# Training path (TRL, transformers, torch) in its own virtual environment: builds .venvs/train
# when it is missing, installs torch==2.13.0 FIRST (the pin resolves to the machine's local
# CPU wheel; unpinned, pip would pull a multi-GB CUDA build), then warroom with the train
# and rl extras at the versions tested (rl: stable-baselines3 + sb3-contrib for
# `warroom train ppo`), and runs tests/test_llm_*.py and tests/test_train_*.py on the CPU.
# Prints pytest's summary line; exits non-zero when anything fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$(date +%s)

venv=${WARROOM_TRAIN_VENV:-.venvs/train}
if [ ! -x "$venv/bin/python" ]; then
    "${PYTHON:-python3}" -m venv "$venv"
fi
pip_q() {
    # pip's config names file:// mirrors that may be absent; drop only those warnings.
    "$venv/bin/pip" install -q "$@" 2>&1 | { grep -v '^WARNING: Location' || true; }
}
pip_q torch==2.13.0
pip_q -e ".[train,rl]" "pytest>=8" \
    "trl==1.16.0" "transformers==5.23.0" "datasets==5.2.0" "peft==0.21.2" \
    "accelerate==1.15.0" "openai>=1.40" \
    "stable-baselines3==2.9.2" "sb3-contrib==2.9.2" "gymnasium==1.4.0" "matplotlib>=3.8"
"$venv/bin/python" -c 'import torch; assert not torch.version.cuda, torch.__version__'
echo "train env ready in $(( $(date +%s) - start )) s"

export TRL_EXPERIMENTAL_SILENCE=1 TOKENIZERS_PARALLELISM=false OMP_NUM_THREADS=1
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_NO_ADVISORY_WARNINGS=1
"$venv/bin/python" -m pytest -q -p no:cacheprovider -W ignore::FutureWarning \
    tests/test_llm_*.py tests/test_train_*.py
echo "train step done in $(( $(date +%s) - start )) s"
