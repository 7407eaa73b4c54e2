#!/usr/bin/env bash
# `uncomp serve --device cuda` end to end on the GPU machine (issue 16): the carried NativeAOT CLI (serve included, no
# ASP.NET Core runtime needed) serves the fixture model with continuous batching; tools/gpu/serve_check.py checks that
# concurrent answers equal solo ones, SSE equals the plain response and a disconnect frees its slot, and measures
# sequential vs concurrent tokens/s. Results: $OUT/serve-check.json and $OUT/serve-check.log.
# Here:   tools/gpu/build-carry.sh
# There:  run(command="tools/gpu/serve-check.sh", carry=[".carry/uncomp.tar.xz"])
# Knobs:  SLOTS (default 8), REQUESTS (default 32), TOKENS (default 128), MODEL (default models/fixture-llama).
set -uo pipefail
cd "$(dirname "$0")/../.."
export OUT=${OUT:-/tmp/uncomp-gpu-out}
mkdir -p "$OUT" /tmp/apps
tar xJf .carry/uncomp.tar.xz -C /tmp/apps
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
export UNCOMP_KERNEL_CACHE=/tmp/uncomp-kernels
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
UNCOMP=/tmp/apps/uncomp/uncomp python3 tools/gpu/serve_check.py --model "${MODEL:-models/fixture-llama}" \
  --slots "${SLOTS:-8}" --requests "${REQUESTS:-32}" --tokens "${TOKENS:-128}"
