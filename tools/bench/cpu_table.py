"""Summarises a tools/bench/cpu.sh output folder: uncomp-*.json, transformers-*.json (schema uncomp-bench/1) and
peak.json into table.md and summary.json — throughput side by side, the issue-13 goals checked, and the fraction
of the CPU's measured GEMM FLOP/s and copy bandwidth our engine reaches.

  python3 tools/bench/cpu_table.py OUT_DIR

FLOP and byte counts (fp32, Llama layout, from the model's config.json):
  linear params per layer P = h(q + 2kv) + q·h + 3·h·ff   (q = heads·d, kv = kvHeads·d)
  prefill FLOPs(n) = 2·n·L·P + 4·L·heads·d·n(n+1)/2 + 2·h·vocab        (logits of the last token only)
  decode FLOPs per token at context c = 2·(L·P + h·vocab) + 4·L·heads·d·c
  decode bytes per token at context c = 4·(L·P + h·vocab) + 4·L·kvHeads·2·d·c   (weights + K/V read once)
"""
import glob
import json
import os
import sys


def load(pattern):
    out = []
    for path in sorted(glob.glob(pattern)):
        with open(path) as fh:
            out.append(json.load(fh))
    return out


def model_costs(cfg):
    h, L, heads, kvh = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    d = cfg.get("head_dim") or h // heads
    q, kv, ff, vocab = heads * d, kvh * d, cfg["intermediate_size"], cfg["vocab_size"]
    P = h * (q + 2 * kv) + q * h + 3 * h * ff

    def prefill_flops(n):
        return 2 * n * L * P + 4 * L * heads * d * n * (n + 1) / 2 + 2 * h * vocab

    def decode_flops(c):
        return 2 * (L * P + h * vocab) + 4 * L * heads * d * c

    def decode_bytes(c):
        return 4 * (L * P + h * vocab) + 4 * L * kvh * 2 * d * c

    return prefill_flops, decode_flops, decode_bytes


def main():
    out_dir = sys.argv[1]
    ours = [r for rep in load(os.path.join(out_dir, "uncomp-*.json")) for r in rep["results"]]
    peer = [r for rep in load(os.path.join(out_dir, "transformers-*.json")) for r in rep["results"]]
    reports = load(os.path.join(out_dir, "uncomp-*.json"))
    peak = load(os.path.join(out_dir, "peak.json"))
    peak = peak[0] if peak else {"rows": []}
    model_dir = os.environ.get("MODEL", "models/fixture-llama")
    with open(os.path.join(model_dir, "config.json")) as fh:
        prefill_flops, decode_flops, decode_bytes = model_costs(json.load(fh))
    new = reports[0]["settings"]["newTokens"] if reports else 64

    def pick(rows, t, n, phase):
        return [r[phase]["tokensPerSecondBest"] for r in rows if r["threads"] == t and r["promptTokens"] == n]

    def rng(v):
        if not v:
            return "—"
        return f"{min(v):,.0f}" if round(min(v)) == round(max(v)) else "%s–%s" % (f"{min(v):,.0f}", f"{max(v):,.0f}")

    keys = sorted({(r["threads"], r["promptTokens"]) for r in ours})
    lines = ["| threads | prompt | ours prefill tok/s | transformers prefill | ratio | ours decode tok/s | transformers decode | ratio |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    summary = {"rows": [], "goals": []}
    for t, n in keys:
        op, tp, od, td = pick(ours, t, n, "prefill"), pick(peer, t, n, "prefill"), pick(ours, t, n, "decode"), pick(peer, t, n, "decode")
        # Conservative ratios: our slowest process against the peer's fastest.
        rp = min(op) / max(tp) if op and tp else None
        rd = min(od) / max(td) if od and td else None
        lines.append("| %d | %d | %s | %s | %s | %s | %s | %s |" % (t, n, rng(op), rng(tp), "%.2f×" % rp if rp else "—", rng(od), rng(td), "%.2f×" % rd if rd else "—"))
        summary["rows"].append({"threads": t, "promptTokens": n, "oursPrefill": op, "peerPrefill": tp, "oursDecode": od, "peerDecode": td,
                                "prefillRatio": rp, "decodeRatio": rd})
    lines.append("")
    lines.append("Ratios are conservative: our slowest process (best of its runs) over the peer's fastest.")

    # Goals of issue 13 item 4 at 1,024 tokens.
    row = {(r["threads"], r["promptTokens"]): r for r in summary["rows"]}
    goals = []
    for t, need_p in ((1, 0.7), (16, 0.5)):
        r = row.get((t, 1024))
        if r and r["prefillRatio"] is not None:
            goals.append(("prefill ≥ %.1f× transformers at %d thread(s)" % (need_p, t), r["prefillRatio"] >= need_p, "%.2f×" % r["prefillRatio"]))
        if r and r["decodeRatio"] is not None:
            goals.append(("decode ≥ 1.5× transformers at %d thread(s)" % t, r["decodeRatio"] >= 1.5, "%.2f×" % r["decodeRatio"]))
    for n in sorted({k[1] for k in keys}):
        a, b = row.get((1, n)), row.get((16, n))
        if a and b:
            ok_p = min(b["oursPrefill"]) >= max(a["oursPrefill"]) * 0.97
            ok_d = min(b["oursDecode"]) >= max(a["oursDecode"]) * 0.97
            goals.append(("16 threads not slower than 1 (prompt %d): prefill / decode" % n, ok_p and ok_d,
                          "%s vs %s / %s vs %s" % (rng(b["oursPrefill"]), rng(a["oursPrefill"]), rng(b["oursDecode"]), rng(a["oursDecode"]))))
    lines += ["", "| goal | met | measured |", "|---|---|---|"]
    lines += ["| %s | %s | %s |" % (g, "yes" if ok else "**no**", m) for g, ok, m in goals]
    summary["goals"] = [{"goal": g, "met": ok, "measured": m} for g, ok, m in goals]

    # Fraction of the CPU's own ceilings.
    prow = {p["threads"]: p for p in peak.get("rows", [])}
    lines += ["", "| threads | prompt | ours prefill GFLOP/s | of torch.mm GEMM | ours decode GFLOP/s | decode GB/s (weights + KV) | of 16 MiB copy | of 1 GiB copy |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for t, n in keys:
        op, od = pick(ours, t, n, "prefill"), pick(ours, t, n, "decode")
        if not op or not od:
            continue
        c = n + new / 2
        pf = max(op) * prefill_flops(n) / n
        df, db = max(od) * decode_flops(c), max(od) * decode_bytes(c)
        p = prow.get(t)
        frac = lambda v, key: "%.0f%%" % (100 * v / p[key]) if p and p.get(key) else "—"  # noqa: E731
        lines.append("| %d | %d | %.1f | %s | %.2f | %.1f | %s | %s |" % (t, n, pf / 1e9, frac(pf, "gemmFlops"), df / 1e9, db / 1e9,
                                                                       frac(db, "copyBytesPerSecond16MiB"), frac(db, "copyBytesPerSecondDram")))
    if peak.get("rows"):
        lines += ["", "CPU ceilings measured in the same run (tools/bench/cpu_peak.py): " + "; ".join(
            "%d thread(s): torch.mm %.0f GFLOP/s, copy 16 MiB %.0f GB/s, copy 1 GiB %.0f GB/s%s" % (
                p["threads"], p["gemmFlops"] / 1e9, p["copyBytesPerSecond16MiB"] / 1e9, p["copyBytesPerSecondDram"] / 1e9,
                ", theoretical %.0f GFLOP/s" % (p["theoreticalFlops"] / 1e9) if p.get("theoreticalFlops") else "") for p in peak["rows"])
            + " (%s, %s MHz max, %s FLOP/cycle assumed)." % (peak.get("cpu"), peak.get("maxMHz"), peak.get("flopPerCycleAssumed"))]
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out_dir, "table.md"), "w") as fh:
        fh.write(text)
    with open(os.path.join(out_dir, "summary.json"), "w") as fh:
        json.dump(summary, fh, indent=2)
    print(text)


if __name__ == "__main__":
    main()
