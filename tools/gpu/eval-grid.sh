#!/usr/bin/env bash
# The evaluation grid on the GPU in one GPU-machine call (issue 15 item 4 on the fixture model; issue 11 item 6):
# every compared method × budgets 2/5/10/25 % × tasks × two context lengths, 100 prompts per cell, with
# `uncomp eval --device cuda`. Results (results.json, results.md, plots) come back as one tarball.
# Here:   tools/gpu/build-carry.sh
# There:  run(command="tools/gpu/eval-grid.sh", carry=[".carry/uncomp.tar.xz"])
# Knobs: MODEL (default models/fixture-llama), PROFILE, LENGTHS (default 2048,3968: the fixture's context is 4096),
#        SAMPLES (per cell, default 100), TASKS, NAME (output names, default eval-grid: two runs in one call need two
#        names), LIMIT (seconds before the eval is stopped, default 560; a stopped eval writes nothing, so split big grids),
#        METHODS (default: the harness's, full,uncomp,snapkv,pyramidkv,streamingllm,h2o), BUDGETS (default 2,5,10,25).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/uncomp-gpu-out}
MODEL=${MODEL:-models/fixture-llama}
PROFILE=${PROFILE:-profiles/fixture-llama.uncomp.json}
LENGTHS=${LENGTHS:-2048,3968}
SAMPLES=${SAMPLES:-100}
TASKS=${TASKS:-passkey,needle,multikey,multivalue,vartrack,commonwords}
NAME=${NAME:-eval-grid}
LIMIT=${LIMIT:-560}
METHODS=${METHODS:-full,uncomp,snapkv,pyramidkv,streamingllm,h2o}
BUDGETS=${BUDGETS:-2,5,10,25}
mkdir -p "$OUT" /tmp/apps "/tmp/$NAME"
[ -x /tmp/apps/uncomp/uncomp ] || tar xJf .carry/uncomp.tar.xz -C /tmp/apps
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
export UNCOMP_KERNEL_CACHE=/tmp/uncomp-kernels
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
needle=$(( (SAMPLES + 4) / 5 ))
start=$(date +%s)
timeout "$LIMIT" /tmp/apps/uncomp/uncomp eval --device cuda --model "$MODEL" --profile "$PROFILE" --tasks "$TASKS" \
  --methods "$METHODS" --budgets "$BUDGETS" --lengths "$LENGTHS" --sample-lengths "$LENGTHS" --depths 0,25,50,75,100 --needle-samples "$needle" \
  --passkey-samples "$SAMPLES" --multikey-samples "$SAMPLES" --ruler-samples "$SAMPLES" --out "/tmp/$NAME" 2>&1 \
  | grep -v "^eval [0-9]" | tail -120 | tee "$OUT/$NAME.log"
echo "$NAME: exit ${PIPESTATUS[0]} in $(( $(date +%s) - start )) s" | tee -a "$OUT/$NAME.log"
tar czf "$OUT/$NAME.tgz" -C "/tmp/$NAME" .
