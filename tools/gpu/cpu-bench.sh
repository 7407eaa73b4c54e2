#!/usr/bin/env bash
# The CPU benchmark (tools/bench/cpu.sh) on the GPU machine's Xeon with the carried framework-dependent CLI,
# results packed into one archive under $OUT (the device tool brings back at most 8 files).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/uncomp-gpu-out}
mkdir -p /tmp/dn /tmp/apps /tmp/cpuout "$OUT"
[ -x /tmp/dn/dotnet ] || tar xJf .carry/dotnet-rt.tar.xz -C /tmp/dn
[ -f /tmp/apps/uncomp/uncomp.dll ] || tar xJf .carry/apps.tar.xz -C /tmp/apps
export DOTNET_ROOT=/tmp/dn PATH=/tmp/dn:$PATH
printf '#!/bin/sh\nexec /tmp/dn/dotnet /tmp/apps/uncomp/uncomp.dll "$@"\n' > /tmp/uncomp-shim && chmod +x /tmp/uncomp-shim
BIN=/tmp/uncomp-shim OUT=/tmp/cpuout bash tools/bench/cpu.sh
cp /tmp/cpuout/table.md "$OUT/cpu-table.md" 2>/dev/null
tar czf "$OUT/cpu-bench.tgz" -C /tmp/cpuout .
