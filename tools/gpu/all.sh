#!/usr/bin/env bash
# One GPU-machine call for everything: GPU tests (tools/gpu/test.sh), GPU benchmarks with the transformers peer
# (tools/gpu/bench.sh) and the CPU benchmark on the host's Xeon (tools/gpu/cpu-bench.sh, 1,024-token prompts),
# packed into at most 8 files under $OUT. Here: tools/gpu/build-carry.sh; there:
# run(command="tools/gpu/all.sh", carry=[".carry/gputests.tar.xz", ".carry/uncomp.tar.xz"]).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/uncomp-gpu-out}
tools/gpu/test.sh > /tmp/all-tests.log 2>&1
grep -E "Total:|gpu tests" /tmp/all-tests.log
tools/gpu/bench.sh > /tmp/all-bench.log 2>&1
grep -E "bandwidth|decode batch 1|prefill 32768|prefill with|batch +(1|29|604):|^HF" /tmp/all-bench.log
PROMPTS=1024 timeout "${CPU_BENCH_SECONDS:-220}" tools/gpu/cpu-bench.sh > /tmp/all-cpu.log 2>&1
tail -4 /tmp/all-cpu.log
cp /tmp/all-tests.log /tmp/all-bench.log /tmp/all-cpu.log "$OUT/" 2>/dev/null
cd "$OUT" && tar czf logs.tgz gpu-tests.log gpu-tests.xml gpu.txt hf_reference.json ours.log hf.log all-tests.log all-bench.log 2>/dev/null
rm -f gpu-tests.log gpu-tests.xml gpu.txt hf_reference.json ours.log hf.log all-tests.log all-bench.log
ls "$OUT"
