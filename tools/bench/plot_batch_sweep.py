#!/usr/bin/env python3
"""Aggregate decode tok/s vs batch size as an SVG (log-log), from one `uncomp bench --device cuda --json` result and
one tools/bench/hf_gpu_peer.py result of the same run.

  python3 tools/bench/plot_batch_sweep.py docs/benchmarks/gpu/final/ours.json docs/benchmarks/gpu/final/hf.json docs/benchmarks/gpu/batch-sweep.svg
"""
import json, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svg_plot import Series, line_chart  # noqa: E402


def main(ours_path, hf_path, out_path):
    ours, hf = json.load(open(ours_path)), json.load(open(hf_path))
    budget = next(k for k in ours if k.startswith("budget_"))
    series = [Series(f"ours, {budget[7:]} % budget", [(r["batch"], r["tok_s"]) for r in ours[budget]["batch_sweep"]], "#1f77b4"),
              Series("ours, full cache", [(r["batch"], r["tok_s"]) for r in ours["full"]["batch_sweep"]], "#2ca02c"),
              Series("transformers, full cache", [(r["batch"], r["tok_s"]) for r in hf["batch_sweep"]], "#d62728")]
    top = max(r[0] for s in series for r in s.points)
    ticks = [b for b in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024) if b <= top * 1.1]
    svg = line_chart(series, f"Aggregate decode tok/s vs batch, {ours['context']}-token prompts, {ours['gpu']}", "batch size (log)",
                     "tokens/s, all sequences (log)", x_log=True, y_log=True, x_ticks=ticks, legend_width=200)
    with open(out_path, "w") as f:
        f.write(svg)


if __name__ == "__main__":
    main(*sys.argv[1:4])
