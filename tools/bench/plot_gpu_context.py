#!/usr/bin/env python3
"""SVG plots of a GPU context sweep (tools/bench/gpu_context_sweep.sh): from `uncomp bench --device cuda
--prompt-tokens A,B,... --no-sweep --json ours.json`, tools/bench/hf_gpu_peer.py --context A,B,... (hf.json) and
tools/bench/hf_snapkv_peer.py --context A,B,... (snapkv.json) of the same call, writes into OUT_DIR:
  decode-vs-context.svg   batch-1 decode tok/s: ours (full, compressed), transformers (full, SnapKV-style), bounds
  memory-vs-context.svg   KV bytes and device memory in use, per engine and method
  prefill-vs-context.svg  prefill seconds: ours (full cache, UNComp selection, selection + hidden-state stages),
                          transformers full, transformers with SnapKV-style selection
and prints a markdown table of the same numbers.

  python3 tools/bench/plot_gpu_context.py ours.json hf.json snapkv.json docs/benchmarks/gpu/context
  python3 tools/bench/plot_gpu_context.py --selftest
"""
import json, os, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svg_plot import Series, label, line_chart  # noqa: E402


def rows(doc):
    """Rows per context of a sweep JSON, or the single-context document itself."""
    return doc["rows"] if "rows" in doc else [doc]


def budget_key(row):
    return next((k for k in row if k.startswith("budget_")), None)


def matched(snap_row, percent):
    """The SnapKV peer's record at our budget (closest percent)."""
    if not snap_row or not snap_row.get("budgets"):
        return None
    return min(snap_row["budgets"], key=lambda b: abs(b["budget_percent"] - percent))


def collect(ours, hf, snap):
    o = sorted(rows(ours), key=lambda r: r["context"])
    h = {r["context"]: r for r in rows(hf)} if hf else {}
    s = {r["context"]: r for r in rows(snap)} if snap else {}
    key = budget_key(o[0])
    percent = float(key[7:]) if key else None
    table = []
    for r in o:
        n = r["context"]
        b = r.get(key) if key else None
        sk = matched(s.get(n), percent) if percent is not None else None
        hr = h.get(n, {})
        table.append({
            "context": n,
            "ours_full_tok_s": r["full"]["decode_b1"]["tok_s"], "bound_full_tok_s": r["full"]["decode_b1"]["bound_tok_s"],
            "ours_budget_tok_s": b and b["decode_b1"]["tok_s"], "bound_budget_tok_s": b and b["decode_b1"]["bound_tok_s"],
            "hf_full_tok_s": hr.get("decode_b1_tok_s"), "hf_snapkv_tok_s": sk and sk["decode_b1_tok_s"],
            "ours_full_kv": r["full"]["kv_bytes_device"], "ours_budget_kv": b and b["kv_bytes_device"],
            "hf_full_kv": hr.get("kv_bytes"), "hf_snapkv_kv": sk and sk["kv_bytes"],
            "ours_full_mem": r["full"].get("device_used_bytes"), "ours_budget_mem": b and b.get("device_used_bytes"),
            "hf_full_mem": hr.get("device_used_bytes"), "hf_snapkv_mem": sk and sk.get("device_used_bytes"),
            "ours_full_prefill": r["full"]["prefill_s"], "ours_budget_prefill": b and b["prefill_s"],
            "ours_stages_prefill": b and b.get("prefill_stages_s"), "stages": b and b.get("prefill_stages"),
            "hf_full_prefill": hr.get("prefill_s"), "hf_snapkv_prefill": sk and sk["prefill_s"],
            "snapkv_percent": sk and sk["budget_percent"],
        })
    return table, percent, ours.get("gpu", "GPU")


def plot(ours, hf, snap, out_dir):
    table, percent, gpu = collect(ours, hf, snap)
    os.makedirs(out_dir, exist_ok=True)
    ctx = [t["context"] for t in table]
    labels = [f"{c // 1024} K" if c % 1024 == 0 else str(c) for c in ctx]
    b = f"{percent:g} %" if percent is not None else ""

    def s(name, key, **kw):
        return Series(name, [(t["context"], t[key]) for t in table if t.get(key) is not None], **kw)

    files = {}
    files["decode-vs-context.svg"] = line_chart(
        [s("ours, full cache", "ours_full_tok_s", colour="#2ca02c"), s("bound, full cache", "bound_full_tok_s", colour="#2ca02c", dashed=True, marker=False),
         s(f"ours, UNComp layout {b}", "ours_budget_tok_s", colour="#1f77b4"), s(f"bound, {b}", "bound_budget_tok_s", colour="#1f77b4", dashed=True, marker=False),
         s("transformers, full cache", "hf_full_tok_s", colour="#d62728"), s(f"transformers + SnapKV-style {b}", "hf_snapkv_tok_s", colour="#ff7f0e")],
        f"Batch-1 decode tok/s vs context, {gpu}", "prompt tokens (log)", "tokens/s (log)", x_log=True, y_log=True, x_ticks=ctx, x_labels=labels,
        legend_width=290)
    files["memory-vs-context.svg"] = line_chart(
        [s("KV, ours full", "ours_full_kv", colour="#2ca02c"), s(f"KV, ours {b}", "ours_budget_kv", colour="#1f77b4"),
         s("KV, transformers full", "hf_full_kv", colour="#d62728"), s(f"KV, transformers SnapKV {b}", "hf_snapkv_kv", colour="#ff7f0e"),
         s("in use, ours full", "ours_full_mem", colour="#2ca02c", dashed=True), s(f"in use, ours {b}", "ours_budget_mem", colour="#1f77b4", dashed=True),
         s("in use, transformers full", "hf_full_mem", colour="#d62728", dashed=True), s(f"in use, transformers SnapKV {b}", "hf_snapkv_mem", colour="#ff7f0e", dashed=True)],
        f"KV bytes (solid) and device memory in use (dashed), batch 1, {gpu}", "prompt tokens (log)", "bytes (log)",
        x_log=True, y_log=True, x_ticks=ctx, x_labels=labels, legend_width=270, y_format=lambda v: label(v) + "B")
    files["prefill-vs-context.svg"] = line_chart(
        [s("ours, full cache", "ours_full_prefill", colour="#2ca02c"),
         s(f"ours, UNComp selection {b}", "ours_budget_prefill", colour="#1f77b4"),
         s("ours, UNComp + hidden-state stages", "ours_stages_prefill", colour="#9467bd"),
         s("transformers SDPA, full cache", "hf_full_prefill", colour="#d62728"),
         s(f"transformers + SnapKV-style selection {b}", "hf_snapkv_prefill", colour="#ff7f0e")],
        f"Prefill seconds vs context, {gpu}", "prompt tokens (log)", "seconds (log)", x_log=True, y_log=True, x_ticks=ctx, x_labels=labels,
        legend_width=290)
    for name, svg in files.items():
        with open(os.path.join(out_dir, name), "w") as f:
            f.write(svg)
    return table, list(files)


def markdown(table):
    def f(v, fmt):
        return "—" if v is None else fmt.format(v)
    lines = ["| context | ours full tok/s (bound) | ours budget tok/s (bound) | transformers full | transformers SnapKV | KV ours full / budget | KV transformers full / SnapKV | prefill ours full / selection / stages, transformers / SnapKV (s) |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for t in table:
        lines.append(f"| {t['context']:,} | {f(t['ours_full_tok_s'], '{:.1f}')} ({f(t['bound_full_tok_s'], '{:.1f}')}) | "
                     f"{f(t['ours_budget_tok_s'], '{:.1f}')} ({f(t['bound_budget_tok_s'], '{:.1f}')}) | {f(t['hf_full_tok_s'], '{:.1f}')} | "
                     f"{f(t['hf_snapkv_tok_s'], '{:.1f}')} | {f(t['ours_full_kv'] and t['ours_full_kv'] / 1e9, '{:.2f}')} / {f(t['ours_budget_kv'] and t['ours_budget_kv'] / 1e9, '{:.3f}')} GB | "
                     f"{f(t['hf_full_kv'] and t['hf_full_kv'] / 1e9, '{:.2f}')} / {f(t['hf_snapkv_kv'] and t['hf_snapkv_kv'] / 1e9, '{:.3f}')} GB | "
                     f"{f(t['ours_full_prefill'], '{:.3f}')} / {f(t['ours_budget_prefill'], '{:.3f}')} / {f(t['ours_stages_prefill'], '{:.3f}')}, "
                     f"{f(t['hf_full_prefill'], '{:.3f}')} / {f(t['hf_snapkv_prefill'], '{:.3f}')} |")
    return "\n".join(lines)


def synthetic():
    """Documents shaped like the three tools' output (numbers made up, only for --selftest)."""
    ctx = [4096, 8192, 16384, 32768]
    kv = lambda n: n * 32 * 8 * 128 * 2 * 2  # noqa: E731
    ours = {"gpu": "Test GPU", "rows": [{"context": n,
            "full": {"decode_b1": {"tok_s": 200 - n / 400, "bound_tok_s": 260 - n / 800}, "kv_bytes_device": kv(n), "device_used_bytes": 17e9 + kv(n), "prefill_s": n / 17000},
            "budget_4.74": {"decode_b1": {"tok_s": 195, "bound_tok_s": 280}, "kv_bytes_device": kv(n) // 20, "device_used_bytes": 17e9, "prefill_s": n / 16000,
                            "prefill_stages_s": n / 25000, "prefill_stages": "all,0.75,0.5,0.25"}} for n in ctx]}
    hf = {"rows": [{"context": n, "decode_b1_tok_s": 40 - n / 1000, "kv_bytes": kv(n), "device_used_bytes": 18e9 + kv(n), "prefill_s": n / 23000} for n in ctx]}
    snap = {"rows": [{"context": n, "prefill_full_s": n / 23000, "budgets": [
        {"budget_percent": p, "kept_tokens_per_head": int(p / 100 * n), "kv_bytes": int(kv(n) * p / 100), "prefill_s": n / 22000,
         "decode_b1_tok_s": 38.0, "device_used_bytes": 18e9 + kv(n)} for p in (4.74, 2, 5, 10, 25)]} for n in ctx]}
    return ours, hf, snap


def selftest():
    ours, hf, snap = synthetic()
    with tempfile.TemporaryDirectory() as d:
        table, files = plot(ours, hf, snap, d)
        assert [t["context"] for t in table] == [4096, 8192, 16384, 32768]
        assert all(t["snapkv_percent"] == 4.74 for t in table), "the SnapKV record must be the one at our budget"
        assert table[0]["hf_snapkv_kv"] == int(4096 * 32 * 8 * 128 * 4 * 4.74 / 100)
        for name in files:
            svg = open(os.path.join(d, name)).read()
            assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>"), name
            assert svg.count("<polyline") >= 3, f"{name}: expected one line per series"
        decode = open(os.path.join(d, "decode-vs-context.svg")).read()
        assert decode.count("<polyline") == 6 and "transformers + SnapKV-style 4.74 %" in decode
        prefill = open(os.path.join(d, "prefill-vs-context.svg")).read()
        assert prefill.count("<polyline") == 5 and "hidden-state stages" in prefill
        assert decode.count("<circle") == 4 * 4, "4 measured series × 4 contexts (bounds have no markers)"
        # A single-context document (no "rows") and a missing peer still plot.
        one = dict(ours["rows"][0], gpu="Test GPU")
        plot(one, None, None, d)
        print(markdown(table))
    print("selftest passed: 3 SVGs, series and points as expected")


def main(argv):
    if argv[:1] == ["--selftest"]:
        selftest()
        return
    if len(argv) != 4:
        sys.exit(__doc__)
    docs = [json.load(open(p)) if os.path.exists(p) else None for p in argv[:3]]
    if docs[0] is None:
        sys.exit(f"{argv[0]}: not found (the output of uncomp bench --device cuda --json)")
    table, files = plot(docs[0], docs[1], docs[2], argv[3])
    print(markdown(table))
    print("wrote " + ", ".join(os.path.join(argv[3], f) for f in files))


if __name__ == "__main__":
    main(sys.argv[1:])
