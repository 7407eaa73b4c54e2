#!/usr/bin/env bash
# Every performance measurement the next kernel change needs, in one GPU-machine call (issue 10/11):
#   1. tools/gpu/kernel_lab.py: decode-attention variants (both kernels: -DDA_UNROLL / -DDA_MMA_UNROLL ×
#      -DDA_MIN_BLOCKS) × chunk sizes, with registers, spills, occupancy, correctness against torch and µs per layer
#      at a 32K Llama-3-8B-shaped step; then --accuracy (both kernels against fp32, head dims 32/64/128);
#   2. tools/gpu/kernel_lab.py --prefill: flash prefill key-tile variants beside torch SDPA on one 32K layer;
#   3. tools/gpu/bench.sh without the batch sweep, with batch-1 decode timed per attention chunk (--decode-chunks).
# Here:  tools/gpu/build-carry.sh (only for step 3)
# There: run(command="tools/gpu/perf-lab.sh", carry=[".carry/uncomp.tar.xz"])   (≈ 3–4 minutes; 9 files under $OUT — the device tool returns about 8: trim what you do not need)
# Knobs: CHUNKS (default 512,1024,2048), LAB_ARGS (extra kernel_lab.py arguments), SKIP_BENCH=1.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/uncomp-gpu-out}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
start=$(date +%s)
python3 tools/gpu/kernel_lab.py --json "$OUT/decode-lab.json" ${LAB_ARGS:-} > "$OUT/decode-lab.log" 2>&1
echo "decode lab: exit $? at $(( $(date +%s) - start )) s"; tail -40 "$OUT/decode-lab.log"
python3 tools/gpu/kernel_lab.py --accuracy --json "$OUT/accuracy.json" > "$OUT/accuracy.log" 2>&1
echo "accuracy lab: exit $? at $(( $(date +%s) - start )) s"; grep -E "WRONG|mma vs partial" "$OUT/accuracy.log" | head -20
python3 tools/gpu/kernel_lab.py --prefill --json "$OUT/prefill-lab.json" ${LAB_ARGS:-} > "$OUT/prefill-lab.log" 2>&1
echo "prefill lab: exit $? at $(( $(date +%s) - start )) s"; tail -6 "$OUT/prefill-lab.log"
if [ "${SKIP_BENCH:-0}" != 1 ] && [ -f .carry/uncomp.tar.xz ]; then
  SKIP_HF=1 SKIP_CALIBRATE=1 BENCH_ARGS="--no-sweep --decode-chunks ${CHUNKS:-512,1024,2048}" tools/gpu/bench.sh > /dev/null 2>&1
  echo "bench: exit $? at $(( $(date +%s) - start )) s"
  grep -E "bandwidth|decode batch 1|attention chunks" "$OUT/ours.log" | cut -c1-400
fi
