#!/usr/bin/env bash
# The CPU benchmark (tools/bench/cpu.sh) on the GPU machine's Xeon with the carried NativeAOT CLI,
# results packed into one archive under $OUT (the device tool brings back at most 8 files). Build the carry with
# CARRY_ISA=x86-64-v4 tools/gpu/build-carry.sh for the AVX-512 kernels the JIT used there (the default is AVX2).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/uncomp-gpu-out}
mkdir -p /tmp/apps /tmp/cpuout "$OUT"
[ -x /tmp/apps/uncomp/uncomp ] || tar xJf .carry/uncomp.tar.xz -C /tmp/apps
BIN=/tmp/apps/uncomp/uncomp OUT=/tmp/cpuout bash tools/bench/cpu.sh
cp /tmp/cpuout/table.md "$OUT/cpu-table.md" 2>/dev/null
tar czf "$OUT/cpu-bench.tgz" -C /tmp/cpuout .
