#!/usr/bin/env python3
"""Prefill time vs prompt length with and without UNComp's hidden-state stages, from one CPU `uncomp bench --json`
report over methods full, uncomp-kv (KV compression only) and uncomp (KV compression + hidden-state stages):
the fastest run's process-CPU seconds (steadier than wall time on a shared machine) and its wall seconds.

  uncomp bench --model models/fixture-llama --methods full,uncomp-kv,uncomp --profile P --prompt-tokens 512,1024,2048,4096 \\
      --threads 1 --new 16 --budget 64 --json stages.json
  python3 tools/bench/plot_prefill_stages.py stages.json docs/benchmarks/cpu/stages/prefill-vs-context.svg
  python3 tools/bench/plot_prefill_stages.py --selftest
"""
import json, os, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svg_plot import Series, line_chart  # noqa: E402

NAMES = {"full": "full cache", "uncomp-kv": "UNComp, KV only (no stages)", "uncomp": "UNComp with hidden-state stages"}
COLOURS = {"full": "#2ca02c", "uncomp-kv": "#1f77b4", "uncomp": "#ff7f0e"}


def table(report):
    """{method: [(prompt tokens, best CPU seconds, best wall seconds)]} for 1-thread-or-first thread count."""
    threads = report["results"][0]["threads"]
    out = {}
    for r in report["results"]:
        if r["threads"] == threads:
            out.setdefault(r["method"], []).append((r["promptTokens"], min(r["prefill"]["cpuSeconds"]), r["prefill"]["minSeconds"]))
    return {m: sorted(v) for m, v in out.items()}, threads


def plot(report, out_path):
    rows, threads = table(report)
    lengths = sorted({n for v in rows.values() for n, _, _ in v})
    series = []
    for method, points in rows.items():
        name = NAMES.get(method, method)
        series.append(Series(f"{name}, CPU s", [(n, c) for n, c, _ in points], COLOURS.get(method)))
        series.append(Series(f"{name}, wall s", [(n, w) for n, _, w in points], COLOURS.get(method), dashed=True))
    cpu = report.get("machine", {}).get("cpuModel") or report.get("machine", {}).get("cpu", "CPU")
    svg = line_chart(series, f"Prefill seconds vs prompt, {report['model']['name']}, {threads} thread(s), {cpu}", "prompt tokens (log)",
                     "seconds, fastest of the runs (log)", x_log=True, y_log=True, x_ticks=lengths, legend_width=300)
    with open(out_path, "w") as f:
        f.write(svg)
    return rows


def markdown(rows):
    lengths = sorted({n for v in rows.values() for n, _, _ in v})
    lines = ["| method | " + " | ".join(f"{n:,} tokens" for n in lengths) + " |", "|---|" + "---:|" * len(lengths)]
    for method, points in rows.items():
        by = {n: (c, w) for n, c, w in points}
        lines.append(f"| {NAMES.get(method, method)} | " + " | ".join(f"{by[n][0]:.3f} CPU s ({n / by[n][0]:,.0f} tok/s)" if n in by else "—" for n in lengths) + " |")
    return "\n".join(lines)


def selftest():
    def result(method, n, cpu):
        return {"threads": 1, "method": method, "promptTokens": n, "prefill": {"cpuSeconds": [cpu * 1.2, cpu], "minSeconds": cpu * 1.5}}
    report = {"model": {"name": "m"}, "machine": {"cpuModel": "Test CPU"},
              "results": [result(m, n, n / f) for m, f in (("full", 7000), ("uncomp-kv", 6900), ("uncomp", 10000)) for n in (512, 1024, 2048)]}
    with tempfile.TemporaryDirectory() as d:
        rows = plot(report, os.path.join(d, "p.svg"))
        svg = open(os.path.join(d, "p.svg")).read()
        assert rows["uncomp"][1] == (1024, 0.1024, 1024 / 10000 * 1.5)
        assert svg.count("<polyline") == 6 and svg.count("<circle") == 18 and "UNComp with hidden-state stages, CPU s" in svg
        assert "| UNComp with hidden-state stages | 0.051 CPU s (10,000 tok/s)" in markdown(rows)
    print("selftest passed: CPU and wall series per method, table rows")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--selftest"]:
        selftest()
    elif len(sys.argv) == 3:
        print(markdown(plot(json.load(open(sys.argv[1])), sys.argv[2])))
    else:
        sys.exit(__doc__)
