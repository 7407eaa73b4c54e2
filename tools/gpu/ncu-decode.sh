#!/usr/bin/env bash
# Per-kernel device time of batch-1 decode steps under Nsight Compute (issue 11): `uncomp bench --capture-steps N` runs N
# steps of the default configuration inside a cuProfilerStart/Stop range; ncu profiles only those launches (graph kernel
# nodes one by one, serialised, at the GPU's own clocks and with warm caches), tools/gpu/ncu_summary.py sums them.
# Here:  tools/gpu/build-carry.sh
# There: run(command="tools/gpu/ncu-decode.sh", carry=[".carry/uncomp.tar.xz"])   (≈ 2–3 minutes)
# Knobs: STEPS (default 2), NCU_BENCH_ARGS (default --budget-only; "" profiles the full cache's steps too).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/uncomp-gpu-out}
STEPS=${STEPS:-2}
NCU=${NCU:-/usr/local/cuda/bin/ncu}
mkdir -p "$OUT" /tmp/apps
[ -x /tmp/apps/uncomp/uncomp ] || tar xJf .carry/uncomp.tar.xz -C /tmp/apps
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
export UNCOMP_KERNEL_CACHE=/tmp/uncomp-kernels PYTHONUNBUFFERED=1
[ -f /tmp/rand/config.json ] || python3 tools/gpu/make_random_model.py --layers 32 --out /tmp/rand 2>&1 | tail -1
start=$(date +%s)
"$NCU" --profile-from-start off --clock-control none --cache-control none --print-units base --csv --page raw \
  --metrics gpu__time_duration.sum,dram__bytes_read.sum,dram__bytes_write.sum,launch__grid_size,launch__block_size,launch__registers_per_thread \
  --log-file "$OUT/ncu-raw.csv" \
  /tmp/apps/uncomp/uncomp bench --device cuda --model /tmp/rand --prompt-tokens 32768 --new 8 --budget-percent 4.74 --no-sweep \
  ${NCU_BENCH_ARGS---budget-only} --capture-steps "$STEPS" > "$OUT/ncu-bench.log" 2>&1
echo "ncu: exit $? after $(( $(date +%s) - start )) s"
grep -E "capture range|decode batch 1:" "$OUT/ncu-bench.log"
python3 tools/gpu/ncu_summary.py "$OUT/ncu-raw.csv" --steps "$STEPS" --json "$OUT/ncu-summary.json" | tee "$OUT/ncu-summary.txt"
xz -f "$OUT/ncu-raw.csv"
