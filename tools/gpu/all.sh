#!/usr/bin/env bash
# One GPU-machine call for everything: GPU tests (tools/gpu/test.sh), GPU benchmarks with the transformers peer
# (tools/gpu/bench.sh) and the CPU benchmark on the host's Xeon (tools/gpu/cpu-bench.sh, 1,024-token prompts),
# packed into at most 8 files under $OUT. Here: tools/gpu/build-carry.sh; there:
# run(command="tools/gpu/all.sh", carry=[".carry/gputests.tar.xz", ".carry/uncomp.tar.xz", ".carry/needle.tar.xz"]).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/uncomp-gpu-out}
tools/gpu/test.sh > /tmp/all-tests.log 2>&1
grep -E "Total:|gpu tests" /tmp/all-tests.log
if [ -f .carry/needle.tar.xz ]; then   # the sample, NativeAOT, answering on the GPU through the compiled class
  mkdir -p /tmp/apps && tar xJf .carry/needle.tar.xz -C /tmp/apps
  LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-} UNCOMP_KERNEL_CACHE=/tmp/uncomp-kernels \
    /tmp/apps/needle/FixtureNeedle models/fixture-llama --device cuda 2>&1 | tee -a /tmp/all-tests.log; echo "sample exit ${PIPESTATUS[0]}" | tee -a /tmp/all-tests.log
fi
tools/gpu/bench.sh > /tmp/all-bench.log 2>&1
grep -E "bandwidth|selection|decode batch 1|prefill 32768|prefill with|batch +(1|16|[0-9]{3}):|^HF|batch-1 step" /tmp/all-bench.log | cut -c1-600
PROMPTS=1024 timeout "${CPU_BENCH_SECONDS:-220}" tools/gpu/cpu-bench.sh > /tmp/all-cpu.log 2>&1
tail -4 /tmp/all-cpu.log
cp /tmp/all-tests.log /tmp/all-bench.log /tmp/all-cpu.log "$OUT/" 2>/dev/null
cd "$OUT" && tar czf logs.tgz gpu-tests.log gpu-tests.xml gpu.txt hf_reference.json ours.log hf.log all-tests.log all-bench.log 2>/dev/null
rm -f gpu-tests.log gpu-tests.xml gpu.txt hf_reference.json ours.log hf.log all-tests.log all-bench.log
ls "$OUT"
