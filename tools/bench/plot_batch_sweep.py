#!/usr/bin/env python3
"""Aggregate decode tok/s vs batch size as an SVG (log-log), from one `uncomp bench --device cuda --json` result and
one tools/bench/hf_gpu_peer.py result of the same run.

  python3 tools/bench/plot_batch_sweep.py docs/benchmarks/gpu/final/ours.json docs/benchmarks/gpu/final/hf.json docs/benchmarks/gpu/batch-sweep.svg
"""
import json, math, sys


def main(ours_path, hf_path, out_path):
    ours, hf = json.load(open(ours_path)), json.load(open(hf_path))
    budget = next(k for k in ours if k.startswith("budget_"))
    series = [(f"ours, {budget[7:]} % budget", [(r["batch"], r["tok_s"]) for r in ours[budget]["batch_sweep"]], "#1f77b4"),
              ("ours, full cache", [(r["batch"], r["tok_s"]) for r in ours["full"]["batch_sweep"]], "#2ca02c"),
              ("transformers, full cache", [(r["batch"], r["tok_s"]) for r in hf["batch_sweep"]], "#d62728")]
    W, H, L, R, T, B = 720, 420, 70, 200, 30, 50
    xs = [b for _, pts, _ in series for b, _ in pts]
    ys = [v for _, pts, _ in series for _, v in pts]
    x0, x1 = 0.0, math.log10(max(xs) * 1.1)
    y0, y1 = math.log10(min(ys) * 0.8), math.log10(max(ys) * 1.2)
    X = lambda b: L + (math.log10(b) - x0) / (x1 - x0) * (W - L - R)
    Y = lambda v: H - B - (math.log10(v) - y0) / (y1 - y0) * (H - T - B)
    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
         f'<rect width="{W}" height="{H}" fill="white"/>',
         f'<text x="{L}" y="18" font-size="14">Aggregate decode tok/s vs batch, {ours["context"]}-token prompts, {ours["gpu"]}</text>']
    for d in range(int(math.floor(y0)), int(math.ceil(y1)) + 1):
        for m in (1, 2, 5):
            v = m * 10 ** d
            if y0 <= math.log10(v) <= y1:
                o.append(f'<line x1="{L}" x2="{W - R}" y1="{Y(v):.1f}" y2="{Y(v):.1f}" stroke="#ddd"/>'
                         f'<text x="{L - 6}" y="{Y(v) + 4:.1f}" text-anchor="end">{v:g}</text>')
    for b in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024):
        if b <= max(xs) * 1.1:
            o.append(f'<line x1="{X(b):.1f}" x2="{X(b):.1f}" y1="{T}" y2="{H - B}" stroke="#eee"/>'
                     f'<text x="{X(b):.1f}" y="{H - B + 16}" text-anchor="middle">{b}</text>')
    o.append(f'<text x="{(L + W - R) / 2}" y="{H - 12}" text-anchor="middle">batch size (log)</text>')
    o.append(f'<text x="16" y="{(T + H - B) / 2}" transform="rotate(-90 16 {(T + H - B) / 2})" text-anchor="middle">tokens/s, all sequences (log)</text>')
    for i, (name, pts, c) in enumerate(series):
        o.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>' % (c, " ".join(f"{X(b):.1f},{Y(v):.1f}" for b, v in pts)))
        o += [f'<circle cx="{X(b):.1f}" cy="{Y(v):.1f}" r="3" fill="{c}"/>' for b, v in pts]
        o.append(f'<rect x="{W - R + 12}" y="{T + 10 + i * 20}" width="12" height="12" fill="{c}"/><text x="{W - R + 30}" y="{T + 20 + i * 20}">{name}</text>')
    o.append("</svg>")
    open(out_path, "w").write("\n".join(o))


if __name__ == "__main__":
    main(*sys.argv[1:4])
