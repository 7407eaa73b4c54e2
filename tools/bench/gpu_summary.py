#!/usr/bin/env python3
"""Combines `uncomp bench --device cuda --json` and tools/bench/hf_gpu_peer.py output (one run, one GPU) into
docs/benchmarks/gpu/summary.json's shape."""
import json, sys

ours, hf, command = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[4]
full = ours["full"]
budget_key = next((k for k in ours if k.startswith("budget_")), None)
summary = {
    "gpu": ours["gpu"], "driver": ours["driver_version"], "copy_bandwidth_GBps": ours["copy_bandwidth_GBps"],
    "decode_b1_32k": {"full": {"tok_s": full["decode_b1"]["tok_s"], "bound_tok_s": full["decode_b1"]["bound_tok_s"]}},
    "prefill_32k": {"ours_s": full["prefill_s"], "hf_sdpa_s": hf["prefill_s"]},
    "kv_bytes": {"device": full["kv_bytes_device"], "plan": full["kv_bytes_plan"]},
    "hf_decode_b1_tok_s": hf["decode_b1_tok_s"],
    "command": command,
}
if budget_key:
    b = ours[budget_key]
    best = max(b.get("batch_sweep", [{"batch": 1, "tok_s": b["decode_b1"]["tok_s"]}]), key=lambda r: r["tok_s"])
    summary["decode_b1_32k"]["uncomp_4.74"] = {"tok_s": b["decode_b1"]["tok_s"], "bound_tok_s": b["decode_b1"]["bound_tok_s"],
                                               "note": "per-head two-group budgets; UNComp's selection on the device: " + b.get("selection", "recency")}
    if "prefill_stages_s" in b:
        summary["prefill_32k"]["uncomp_stages_s"] = b["prefill_stages_s"]
        summary["prefill_32k"]["stages_keep"] = b.get("prefill_stages", "")
        summary["prefill_32k"]["stages_speedup"] = round(b["prefill_s"] / b["prefill_stages_s"], 3)
    summary["throughput_32k"] = {"uncomp_4.74_tok_s": best["tok_s"], "batch": best["batch"],
                                 "hf_best_full_tok_s": hf["best_full_tok_s"], "hf_batch": hf["best_full_batch"]}
json.dump(summary, open(sys.argv[3], "w"), indent=1)
print(json.dumps(summary, indent=1))
