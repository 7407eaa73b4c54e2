#!/usr/bin/env bash
# A kernel branch's whole check in one GPU-machine call (≈ 5–6 minutes on an H200): the labs that need no carry
# first (a kernel that does not compile or is wrong shows there in a minute), then the GPU tests with the
# transformers parity model, then the benchmark without the batch sweep. Everything but a short summary goes into
# one tarball, because the device tool brings back only about 8 files.
#   1. kernel_lab.py --wgmma   the Hopper prefill kernel: correctness (output and log-sum-exp) and µs per 32K layer
#                              beside torch SDPA and the mma.sync kernel (sm_90 only)
#   2. kernel_lab.py --gemv    the batch-1 GEMV per k split, and with the weight prefetch
#   3. tools/gpu/test.sh       every GPU test (needs .carry/gputests.tar.xz)
#   4. tools/gpu/bench.sh      SKIP_HF=1 SKIP_CALIBRATE=1 BENCH_ARGS=--no-sweep (needs .carry/uncomp.tar.xz), then
#                              the transformers peer at batch 1 on the same weights (prefill baseline; SKIP_HF=1 skips)
# Here:  tools/gpu/build-carry.sh
# There: run(command="tools/gpu/branch-check.sh", carry=[".carry/gputests.tar.xz", ".carry/uncomp.tar.xz"])
# Knobs: SKIP_LABS=1, SKIP_TESTS=1, SKIP_BENCH=1, SKIP_HF=1, WGMMA_VARIANTS (default 2x64,1x64,2x128,1x128),
# BENCH_ARGS (default --no-sweep; e.g. "--no-sweep --budget-only" for the compressed layout alone).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/uncomp-gpu-out}
mkdir -p "$OUT"
work=$(mktemp -d)
export PYTHONUNBUFFERED=1
start=$(date +%s)
summary="$OUT/branch-check.txt"
: > "$summary"
say() { echo "$*" | tee -a "$summary"; }
if [ "${SKIP_LABS:-0}" != 1 ]; then
  python3 tools/gpu/kernel_lab.py --wgmma --wgmma-variants "${WGMMA_VARIANTS:-2x64,1x64,2x128,1x128}" --json "$work/wgmma-lab.json" > "$work/wgmma-lab.log" 2>&1
  say "wgmma lab: exit $? at $(( $(date +%s) - start )) s"; grep -E "SDPA|mma.sync|wgmma" "$work/wgmma-lab.log" | cut -c1-700 | tee -a "$summary"
  python3 tools/gpu/kernel_lab.py --gemv --json "$work/gemv-lab.json" > "$work/gemv-lab.log" 2>&1
  say "gemv lab: exit $? at $(( $(date +%s) - start )) s"; tail -6 "$work/gemv-lab.log" | cut -c1-700 | tee -a "$summary"
fi
if [ "${SKIP_TESTS:-0}" != 1 ] && [ -f .carry/gputests.tar.xz ]; then
  OUT="$work" tools/gpu/test.sh > "$work/test.out" 2>&1
  say "gpu tests: exit $? at $(( $(date +%s) - start )) s"
  grep -E "Total:|\[FAIL\]" "$work/gpu-tests.log" | head -20 | tee -a "$summary"
fi
if [ "${SKIP_BENCH:-0}" != 1 ] && [ -f .carry/uncomp.tar.xz ]; then
  OUT="$work" SKIP_HF=1 SKIP_CALIBRATE=1 BENCH_ARGS="${BENCH_ARGS:---no-sweep}" tools/gpu/bench.sh > "$work/bench.out" 2>&1
  say "bench: exit $? at $(( $(date +%s) - start )) s"
  grep -E "bandwidth|prefill|decode batch 1" "$work/ours.log" | cut -c1-400 | tee -a "$summary"
  cp "$work/ours.json" "$OUT/" 2>/dev/null
  # The transformers peer at batch 1 on the same weights in the same call: the prefill target's baseline.
  if [ "${SKIP_HF:-0}" != 1 ]; then
    python3 tools/bench/hf_gpu_peer.py --model /tmp/rand --context 32768 --no-sweep --json "$OUT/hf.json" 2>&1 | grep -v -i warn > "$work/hf.log"
    say "transformers peer: exit $? at $(( $(date +%s) - start )) s"; grep -E "^HF" "$work/hf.log" | tee -a "$summary"
  fi
fi
tar czf "$OUT/branch-check.tgz" -C "$work" .
say "done in $(( $(date +%s) - start )) s; logs in branch-check.tgz"
