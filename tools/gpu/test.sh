#!/usr/bin/env bash
# Every GPU check in one GPU-machine call: unpack the carried executables, make the random Llama-3-8B-shaped
# 2-layer model and transformers' reference logits, run the GPU test executable, and write a summary under $OUT.
# Here:   tools/gpu/build-carry.sh
# There:  run(command="tools/gpu/test.sh", carry=[".carry/gputests.tar.xz"])
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/uncomp-gpu-out}
mkdir -p "$OUT" /tmp/apps && tar xJf .carry/gputests.tar.xz -C /tmp/apps
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
export UNCOMP_KERNEL_CACHE=/tmp/uncomp-kernels PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv | tee "$OUT/gpu.txt"
if [ "${SKIP_HF:-0}" != 1 ]; then
  python3 tools/gpu/make_random_model.py --layers 2 --out /tmp/rand2 2>&1 | tail -2
  python3 tools/gpu/hf_reference.py --model /tmp/rand2 --out /tmp/hfref 2>&1 | grep -v Warning | tail -3
  cp /tmp/hfref/hf_reference.json "$OUT/" 2>/dev/null
  export UNCOMP_RANDOM_MODEL=/tmp/rand2 UNCOMP_HF_REFERENCE=/tmp/hfref
fi
export UNCOMP_REPO_ROOT=$PWD
start=$(date +%s)
/tmp/apps/gputests/UNComp.Runtime.GpuTests -noColor -reporter verbose -xml "$OUT/gpu-tests.xml" ${GPU_TEST_ARGS:-} 2>&1 | tee "$OUT/gpu-tests.log" | grep -v "^\s*$" | tail -60
status=${PIPESTATUS[0]}
echo "gpu tests: exit $status in $(( $(date +%s) - start )) s" | tee -a "$OUT/gpu-tests.log"
exit "$status"
