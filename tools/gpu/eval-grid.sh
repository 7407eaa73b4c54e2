#!/usr/bin/env bash
# The evaluation grid on the GPU in one GPU-machine call (issue 15 item 4 on the fixture model; issue 11 item 6):
# every compared method × budgets 2/5/10/25 % × tasks × two context lengths, 100 prompts per cell, with
# `uncomp eval --device cuda`. Results (results.json, results.md, plots) come back as one tarball.
# Here:   tools/gpu/build-carry.sh
# There:  run(command="tools/gpu/eval-grid.sh", carry=[".carry/uncomp.tar.xz"])
# Knobs: MODEL (default models/fixture-llama), PROFILE, LENGTHS (default 2048,3968: the fixture's context is 4096),
#        SAMPLES (per cell, default 100), TASKS.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/uncomp-gpu-out}
MODEL=${MODEL:-models/fixture-llama}
PROFILE=${PROFILE:-profiles/fixture-llama.uncomp.json}
LENGTHS=${LENGTHS:-2048,3968}
SAMPLES=${SAMPLES:-100}
TASKS=${TASKS:-passkey,needle,multikey,multivalue,vartrack,commonwords}
mkdir -p "$OUT" /tmp/apps /tmp/eval-grid
tar xJf .carry/uncomp.tar.xz -C /tmp/apps
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
export UNCOMP_KERNEL_CACHE=/tmp/uncomp-kernels
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
needle=$(( (SAMPLES + 4) / 5 ))
start=$(date +%s)
/tmp/apps/uncomp/uncomp eval --device cuda --model "$MODEL" --profile "$PROFILE" --tasks "$TASKS" \
  --budgets 2,5,10,25 --lengths "$LENGTHS" --sample-lengths "$LENGTHS" --depths 0,25,50,75,100 --needle-samples "$needle" \
  --passkey-samples "$SAMPLES" --multikey-samples "$SAMPLES" --ruler-samples "$SAMPLES" --out /tmp/eval-grid 2>&1 \
  | grep -v "^eval [0-9]" | tail -120 | tee "$OUT/eval-grid.log"
echo "eval grid: exit ${PIPESTATUS[0]} in $(( $(date +%s) - start )) s" | tee -a "$OUT/eval-grid.log"
tar czf "$OUT/eval-grid.tgz" -C /tmp/eval-grid .
