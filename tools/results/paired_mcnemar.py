#!/usr/bin/env python3
"""Paired comparison of two methods on the same prompts: counts of prompts only one of them answers, exact McNemar p.

Each side is RECORDS:METHOD, RECORDS being an `uncomp eval` results.json (with "records") or a .jsonl / .jsonl.gz
of records (one JSON object a line). Prompts are matched by (task, context length, depth, index), so both runs must
use the same prompts (same --seed, tasks, lengths, depths and sample counts).

With --common only the prompts both runs hold are paired (e.g. a one-length run against a grid over two lengths);
--by-task prints one row per task.

Usage: python3 tools/results/paired_mcnemar.py A.jsonl.gz:uncomp-kv B.jsonl.gz:snapkv [--budgets 5,10] [--common] [--by-task]
Standard library only.
"""
import argparse
import gzip
import json
import math


def records(path):
    """Per-prompt records from a records-*.jsonl(.gz) file (one JSON object a line) or a results.json with records."""
    if path.endswith((".jsonl", ".jsonl.gz")):
        with (gzip.open(path, "rt", encoding="utf-8") if path.endswith(".gz") else open(path, encoding="utf-8")) as fh:
            return [json.loads(line) for line in fh if line.strip()]
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    if "records" not in doc:
        raise SystemExit(f"{path}: no 'records' (the summary-only json cannot be paired)")
    return doc["records"]


def outcomes(spec, budget):
    path, _, method = spec.rpartition(":")
    if not path:
        raise SystemExit(f"{spec}: expected RECORDS:METHOD")
    out = {}
    for r in records(path):
        if r["method"] == method and abs(r["budget"] - budget) < 1e-9:
            out[(r.get("task"), r.get("contextLength"), r.get("depth"), r["index"])] = bool(r["correct"])
    if not out:
        raise SystemExit(f"{spec}: no records of method {method} at budget {budget:g}")
    return out


def mcnemar_exact(only_a, only_b):
    """Two-sided exact McNemar (binomial) p-value for the discordant counts."""
    n = only_a + only_b
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(only_a, only_b) + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--budgets", default="5,10", help="budgets in %% (comma list)")
    ap.add_argument("--common", action="store_true", help="pair only the prompts both runs hold")
    ap.add_argument("--by-task", action="store_true", help="one row per task")
    args = ap.parse_args()
    print(f"| budget |{' task |' if args.by_task else ''} A correct | B correct | only A | only B | exact McNemar p |")
    print(f"|---:|{'---|' if args.by_task else ''}---:|---:|---:|---:|---:|")
    for pct in args.budgets.split(","):
        budget = float(pct) / 100
        a, b = outcomes(args.a, budget), outcomes(args.b, budget)
        keys = sorted(set(a) & set(b), key=str)
        if not keys or (not args.common and (len(keys) != len(a) or len(keys) != len(b))):
            raise SystemExit(f"the runs do not share their prompts at {pct} % ({len(a)} vs {len(b)}, {len(keys)} common)"
                             + ("" if args.common else "; --common pairs the shared ones"))
        groups = sorted({k[0] for k in keys}) if args.by_task else [None]
        for task in groups:
            ks = [k for k in keys if task is None or k[0] == task]
            only_a = sum(a[k] and not b[k] for k in ks)
            only_b = sum(b[k] and not a[k] for k in ks)
            print(f"| {pct} % |{f' {task} |' if args.by_task else ''} {sum(a[k] for k in ks)}/{len(ks)} | "
                  f"{sum(b[k] for k in ks)}/{len(ks)} | {only_a} | {only_b} | {mcnemar_exact(only_a, only_b):.3f} |")


if __name__ == "__main__":
    main()
