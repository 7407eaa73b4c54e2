#!/usr/bin/env bash
# Syntax- and type-checks the embedded CUDA kernels on a machine without CUDA (clang -x cuda, device side only),
# so a typo costs no GPU time. NVRTC on the GPU machine remains the real compiler. Needs clang (apt-get install clang).
set -euo pipefail
cd "$(dirname "$0")/../.."
k=src/Runtime/Gpu/Kernels
tmp=$(mktemp --suffix=.cu)
trap 'rm -f "$tmp"' EXIT
cat $k/common.cuh $k/elementwise.cu $k/prefill_attention.cu $k/prefill_attention_wgmma.cu $k/decode_attention.cu $k/kv_cache.cu $k/compression.cu $k/calibration.cu $k/forward_f32.cu $k/sampling.cu > "$tmp"
clang++ -x cuda --cuda-gpu-arch=sm_80 --cuda-device-only -nocudainc -nocudalib -std=c++17 -fsyntax-only -Wno-unused-variable \
  -include tools/gpu/nvrtc_prelude.h -Wall -Wno-unknown-cuda-version "$tmp"
# The Hopper-only parts (#if __CUDA_ARCH_FEAT_SM90_ALL: NVRTC defines it for sm_90a) once more with the macro set.
clang++ -x cuda --cuda-gpu-arch=sm_80 --cuda-device-only -nocudainc -nocudalib -std=c++17 -fsyntax-only -Wno-unused-variable \
  -include tools/gpu/nvrtc_prelude.h -Wall -Wno-unknown-cuda-version -D__CUDA_ARCH_FEAT_SM90_ALL "$tmp"
echo "kernels: syntax OK"
