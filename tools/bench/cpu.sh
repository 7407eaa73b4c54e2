#!/usr/bin/env bash
# CPU benchmark of issue 13 item 4, in one call on the GPU machine (16-core Xeon, torch 2.11, transformers 5.17):
# `uncomp bench` (self-contained publish carried in .carry/uncomp) against HF transformers fp32 on the same
# safetensors, same prompt ids and lengths, at 1 and 16 threads, two processes each, then the CPU's own ceilings
# (tools/bench/cpu_peak.py) and the table (tools/bench/cpu_table.py). Everything lands in $OUT.
#
# Build the binary here first (repository root):
#   dotnet publish src/Cli -c Release -r linux-x64 --self-contained -p:PublishTrimmed=true -p:PublishSingleFile=true -o .carry/uncomp
# Then on the GPU machine (carry .carry/uncomp):
#   bash tools/bench/cpu.sh
# Knobs: MODEL (models/fixture-llama), PROMPTS (256,1024,2048), NEW (64), THREADS ("1 16"), PROCESSES (2).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/cpu-bench}
MODEL=${MODEL:-models/fixture-llama}
PROMPTS=${PROMPTS:-256,1024,2048}
NEW=${NEW:-64}
THREADS=${THREADS:-"1 16"}
PROCESSES=${PROCESSES:-2}
BIN=${BIN:-.carry/uncomp/uncomp}
mkdir -p "$OUT"
[ -x "$BIN" ] || chmod +x "$BIN"
{ lscpu; echo; nproc; uptime; } > "$OUT/machine.txt" 2>&1 || true
python3 -c 'import torch; print(torch.__config__.parallel_info())' > "$OUT/torch-parallel.txt" 2>&1 || true
for t in $THREADS; do
  for p in $(seq 1 "$PROCESSES"); do
    echo "== uncomp, $t thread(s), process $p"
    "$BIN" bench --device cpu --model "$MODEL" --prompt-tokens "$PROMPTS" --new "$NEW" --threads "$t" --warmup 1 --runs 3 \
      --json "$OUT/uncomp-t$t-p$p.json" | tee "$OUT/uncomp-t$t-p$p.txt"
    echo "== transformers, $t thread(s), process $p"
    python3 tools/bench/cpu_peer.py --model "$MODEL" --prompt-tokens "$PROMPTS" --new "$NEW" --threads "$t" --warmup 1 --runs 3 \
      --out "$OUT/transformers-t$t-p$p.json" | tee "$OUT/transformers-t$t-p$p.txt"
  done
done
echo "== CPU ceilings"
python3 tools/bench/cpu_peak.py --threads "$(echo $THREADS | tr ' ' ',')" --out "$OUT/peak.json" | tee "$OUT/peak.txt"
MODEL="$MODEL" python3 tools/bench/cpu_table.py "$OUT"
