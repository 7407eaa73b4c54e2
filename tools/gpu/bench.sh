#!/usr/bin/env bash
# GPU benchmarks in one GPU-machine call: a random-weight Llama-3-8B-shaped model (32 layers, bf16), then
# `uncomp bench --device cuda` and the transformers peer on the same weights and GPU, then the summary.
# Here: tools/gpu/build-carry.sh; there: run(command="tools/gpu/bench.sh", carry=[".carry/uncomp.tar.xz"])
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/uncomp-gpu-out}
CONTEXT=${CONTEXT:-32768}
LAYERS=${LAYERS:-32}
mkdir -p "$OUT" /tmp/apps
tar xJf .carry/uncomp.tar.xz -C /tmp/apps
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
export UNCOMP_KERNEL_CACHE=/tmp/uncomp-kernels PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
python3 tools/gpu/make_random_model.py --layers "$LAYERS" --out /tmp/rand 2>&1 | tail -1
cmd="uncomp bench --device cuda --model /tmp/rand --prompt-tokens $CONTEXT --new 64 --budget-percent 4.74 --json ours.json ${BENCH_ARGS:-}"
/tmp/apps/uncomp/uncomp bench --device cuda --model /tmp/rand --prompt-tokens "$CONTEXT" --new 64 --budget-percent 4.74 \
  --json "$OUT/ours.json" ${BENCH_ARGS:-} 2>&1 | tee "$OUT/ours.log"
if [ "${SKIP_HF:-0}" != 1 ]; then
  python3 tools/bench/hf_gpu_peer.py --model /tmp/rand --context "$CONTEXT" --json "$OUT/hf.json" 2>&1 | grep -v -i warn | tee "$OUT/hf.log"
  python3 tools/bench/gpu_summary.py "$OUT/ours.json" "$OUT/hf.json" "$OUT/summary.json" "tools/gpu/bench.sh ($cmd; python3 tools/bench/hf_gpu_peer.py --context $CONTEXT)"
fi
# Calibration of the 8B-shaped model on the GPU (issue 11): 8 samples of 4,096 tokens, entropies on the host.
if [ "${SKIP_CALIBRATE:-0}" != 1 ]; then
  start=$(date +%s.%N)
  /tmp/apps/uncomp/uncomp calibrate --device cuda --model /tmp/rand --data models/fixture-llama/calibration.txt --samples 8 --tokens 4096 \
    --out /tmp/rand.uncomp.json 2>&1 | grep -v "^calibrating" | tail -3 | tee "$OUT/calibrate.log"
  echo "calibrate (cuda, 32 layers, 8 × 4096 tokens): $(python3 -c "import time;print(round(time.time()-$start,1))") s wall" | tee -a "$OUT/calibrate.log"
fi
