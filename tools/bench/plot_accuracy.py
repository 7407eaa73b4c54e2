#!/usr/bin/env python3
"""Accuracy vs KV budget from an `uncomp eval` report (results.json): one SVG per task, a line per method with 95 %
Wilson intervals (the report's own low/high where it has them, else computed from accuracy and samples), the full
cache as a dashed line.

  python3 tools/bench/plot_accuracy.py docs/results/results.json docs/benchmarks/accuracy
  python3 tools/bench/plot_accuracy.py --selftest
"""
import json, math, os, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svg_plot import Series, line_chart  # noqa: E402


def wilson(p, n, z=1.959964):
    if n == 0:
        return 0.0, 1.0
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def plots(report):
    """(file name, SVG) per task (and context length, where the report has per-length summaries)."""
    settings = report["settings"]
    budgets = sorted(settings["budgets"])
    out = []
    cells = []
    for s in report["summaries"]:
        cell = (s["task"], s.get("contextLength", 0))
        if cell not in cells:
            cells.append(cell)
    for task, length in cells:
        rows = [s for s in report["summaries"] if s["task"] == task and s.get("contextLength", 0) == length]
        series = []
        for i, method in enumerate(settings["methods"]):
            mine = [r for r in rows if r["method"] == method]
            if not mine:
                continue

            def point(r, x):
                lo, hi = (r["low"], r["high"]) if "low" in r else wilson(r["accuracy"], r["samples"])
                return x, r["accuracy"], lo, hi
            if method == "full":
                r = mine[0]
                series.append(Series(f"full cache ({r['accuracy']:.0%})", [(b, r["accuracy"]) for b in budgets], "#555", dashed=True, marker=False))
            else:
                series.append(Series(method, [point(r, r["budget"]) for r in sorted(mine, key=lambda r: r["budget"])]))
        samples = max(r["samples"] for r in rows)
        title = f"{task}{f', {length} tokens' if length else ''}: accuracy vs KV budget ({report['model']}, {samples} prompts per point)"
        svg = line_chart(series, title, "mean KV budget (% of the prompt, per KV head)", "accuracy (95 % Wilson interval)",
                         x_log=True, x_ticks=budgets, x_labels=[f"{b * 100:g} %" for b in budgets], y_range=(0, 1),
                         y_format=lambda v: f"{v:.0%}", legend_width=170, spread=4)
        out.append((f"accuracy-{task}{f'-{length}' if length else ''}.svg", svg))
    return out


def write(report_path, out_dir):
    report = json.load(open(report_path))
    os.makedirs(out_dir, exist_ok=True)
    names = []
    for name, svg in plots(report):
        with open(os.path.join(out_dir, name), "w") as f:
            f.write(svg)
        names.append(os.path.join(out_dir, name))
    return names


def selftest():
    lo, hi = wilson(0.5, 10)
    assert abs(lo - 0.2366) < 1e-3 and abs(hi - 0.7634) < 1e-3, (lo, hi)
    assert abs(wilson(1.0, 10)[1] - 1) < 1e-12 and abs(wilson(0.0, 10)[0]) < 1e-12
    report = {"model": "m", "settings": {"methods": ["full", "uncomp", "snapkv"], "budgets": [0.02, 0.05, 0.1, 0.25]},
              "summaries": [{"task": "passkey", "method": "full", "budget": 1, "samples": 10, "accuracy": 1.0}]
              + [{"task": "passkey", "method": m, "budget": b, "samples": 10, "accuracy": a}
                 for m, acc in (("uncomp", (0.3, 0.4, 0.4, 0.4)), ("snapkv", (0.1, 0.3, 0.3, 0.3))) for b, a in zip((0.02, 0.05, 0.1, 0.25), acc)]}
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "r.json")
        json.dump(report, open(path, "w"))
        names = write(path, d)
        assert [os.path.basename(n) for n in names] == ["accuracy-passkey.svg"]
        svg = open(names[0]).read()
        assert svg.count("<polyline") == 3 and svg.count("<circle") == 8 and "full cache (100%)" in svg
    print("selftest passed: Wilson intervals and one plot per task")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--selftest"]:
        selftest()
    elif len(sys.argv) == 3:
        print("\n".join(write(sys.argv[1], sys.argv[2])))
    else:
        sys.exit(__doc__)
