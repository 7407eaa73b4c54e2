#!/usr/bin/env bash
# GPU context sweep in one GPU-machine call (estimated 3-4 minutes on an H100/H200; not yet run): a random-weight Llama-3-8B-shaped model
# (32 layers, bf16), then on the same weights and GPU, batch 1 at each context:
#   uncomp bench --device cuda (full cache and the 4.74 % UNComp layout, --no-sweep: the arena holds one sequence)
#   tools/bench/hf_gpu_peer.py (transformers, full cache)
#   tools/bench/hf_snapkv_peer.py (transformers with SnapKV-style compression at 4.74, 2, 5, 10, 25 %), after its
#     --tiny checks on a 2-layer model (skipped, with the reason in the log, if those fail)
# and the SVG plots (tools/bench/plot_gpu_context.py). Writes 7 files under $OUT: ours.json, hf.json, snapkv.json,
# sweep.log and the three SVGs.
# Here: tools/gpu/build-carry.sh; there: run(command="tools/bench/gpu_context_sweep.sh", carry=[".carry/uncomp.tar.xz"])
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/uncomp-gpu-out}
CONTEXTS=${CONTEXTS:-4096,8192,16384,32768}
BUDGETS=${BUDGETS:-4.74,2,5,10,25}
LAYERS=${LAYERS:-32}
LOG="$OUT/sweep.log"
mkdir -p "$OUT" /tmp/apps

sweep() {
tar xJf .carry/uncomp.tar.xz -C /tmp/apps
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
export UNCOMP_KERNEL_CACHE=/tmp/uncomp-kernels PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
start=$SECONDS
python3 tools/gpu/make_random_model.py --layers "$LAYERS" --out /tmp/rand 2>&1 | tail -1
echo "== ours ($((SECONDS - start)) s)"
/tmp/apps/uncomp/uncomp bench --device cuda --model /tmp/rand --prompt-tokens "$CONTEXTS" --new 64 --budget-percent 4.74 \
  --no-sweep --json "$OUT/ours.json" 2>&1 | grep -E "^GPU|bandwidth|model:|prefill [0-9]+ tokens|decode batch 1:|memory in use|rror"
echo "== transformers, full cache ($((SECONDS - start)) s)"
python3 tools/bench/hf_gpu_peer.py --model /tmp/rand --context "$CONTEXTS" --no-sweep --json "$OUT/hf.json" 2>&1 | grep -v -i -E "warn|Loading weights"
echo "== transformers + SnapKV-style compression: checks on a tiny model ($((SECONDS - start)) s)"
if python3 tools/bench/hf_snapkv_peer.py --tiny --json /tmp/snapkv-tiny.json 2>&1 | grep -v -i -E "warn|Loading weights"; then
  echo "== transformers + SnapKV-style compression ($((SECONDS - start)) s)"
  python3 tools/bench/hf_snapkv_peer.py --model /tmp/rand --context "$CONTEXTS" --budgets "$BUDGETS" --json "$OUT/snapkv.json" 2>&1 | grep -v -i -E "warn|Loading weights"
else
  echo "SnapKV peer skipped: its --tiny checks failed (above)"
fi
echo "== plots ($((SECONDS - start)) s)"
python3 tools/bench/plot_gpu_context.py "$OUT/ours.json" "$OUT/hf.json" "$OUT/snapkv.json" "$OUT"
echo "done in $((SECONDS - start)) s"
}

sweep 2>&1 | tee "$LOG"
ls "$OUT"
