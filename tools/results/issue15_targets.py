#!/usr/bin/env python3
"""Issue 15, item 4: the evaluation model against its targets, computed from `uncomp eval` summaries.

Reads one or more `results.json` / `summary-*.json` files written by `uncomp eval` (only their "summaries" are
used; per-prompt "records" may be absent) and, optionally, the training run's `metrics.json` (transformers'
full-cache accuracy), and prints three Markdown tables:

1. full-cache accuracy per task and length, ours vs transformers, against the issue's targets
   (passkey >= 99 %, free-text needle >= 90 %, multi-key >= 90 %);
2. UNComp at a 10 % mean budget as a share of full-cache accuracy (target >= 95 % on passkey and needle);
3. at a 5 % budget, per task (lengths pooled), whether UNComp beats each baseline by more than the interval width.
   Rule "disjoint": UNComp's lower 95 % Wilson bound is above the baseline's upper bound (the strict reading);
   rule "half-width": the difference of the accuracies exceeds the wider of the two intervals' half-widths
   (a lenient reading). Target: a win under the rule on at least half the tasks against every baseline.

"UNComp" is the method named by --uncomp-method: `uncomp` (default; the profile as calibrated, hidden-state stages
included) or `uncomp-kv` (KV selection only). The files may come from different runs, e.g. the baselines from a
GPU grid and uncomp-kv from CPU runs, one per length: cells are merged by (task, length, method, budget), a cell
found in several files keeps the first file's row (a differing duplicate is reported on stderr), and the rows of
all lengths pooled are recomputed from the per-length rows (correct / prompts summed, 95 % Wilson interval), so
one file per length pools correctly. --records checks that such runs asked the same prompts: it compares the
expected answer of every (task, length, index) across the per-prompt records of the given files.

Usage: python3 tools/results/issue15_targets.py SUMMARY.json [SUMMARY.json ...] [--metrics metrics.json]
       [--uncomp-method uncomp-kv] [--records RECORDS.jsonl.gz|results.json ...]
Standard library only.
"""
import argparse
import json
import math
import sys

from paired_mcnemar import records  # the one reader of records-*.jsonl(.gz) and results.json

FULL_TARGETS = {"passkey": 0.99, "textneedle": 0.90, "multikey": 0.90}
SHARE_TARGET = 0.95
SHARE_TASKS = ("passkey", "needle")
ABLE = 0.5  # a task the full cache answers at least this often says something about compression
BASELINES = ("snapkv", "pyramidkv", "streamingllm", "h2o")


Z95 = 1.959963984540054  # as the harness (src/Runtime/Evaluation/WilsonInterval.cs)


def wilson(correct, samples, z=Z95):
    """95 % Wilson score interval of correct / samples, as the harness computes it; (0, 1) with no samples."""
    if samples == 0:
        return 0.0, 1.0
    p, z2 = correct / samples, z * z
    den = 1 + z2 / samples
    centre = (p + z2 / (2 * samples)) / den
    half = z * math.sqrt(p * (1 - p) / samples + z2 / (4 * samples * samples)) / den
    return max(0.0, centre - half), min(1.0, centre + half)


def key_of(s):
    return (s["task"], s["contextLength"], s["method"], round(s["budget"], 4))


def load(paths, warn=None, lengths=None):
    """(task, length, method, budget) -> summary row over every file (the first file's row wins), plus the model name.

    Length 0 = all lengths pooled, recomputed here from the per-length rows; with `lengths`, only those lengths are
    read (and pooled)."""
    warn = warn or (lambda msg: print(msg, file=sys.stderr))
    rows, model, pooled_in_files = {}, None, {}
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
        if "summaries" not in doc:
            sys.exit(f"{path}: no 'summaries' array; pass a results.json written by `uncomp eval`")
        model = model or doc.get("model")
        for s in doc["summaries"]:
            k = key_of(s)
            if lengths and k[1] not in lengths:
                continue
            if k[1] == 0:
                pooled_in_files.setdefault(k, s)
                continue
            if k in rows:
                old = rows[k]
                if (old["correct"], old["samples"]) != (s["correct"], s["samples"]):
                    warn(f"{path}: {k} is {s['correct']}/{s['samples']}, kept the earlier file's "
                         f"{old['correct']}/{old['samples']}")
                continue
            rows[k] = s
    return pool(rows, {} if lengths else pooled_in_files), model


def pool(rows, pooled_in_files=None):
    """Adds a length-0 row per (task, method, budget): per-length rows summed (or a file's own pooled row when the
    files hold no per-length rows for that cell)."""
    groups = {}
    for (task, length, method, budget), s in rows.items():
        groups.setdefault((task, method, budget), []).append(s)
    out = dict(rows)
    for (task, method, budget), ss in groups.items():
        correct, samples = sum(s["correct"] for s in ss), sum(s["samples"] for s in ss)
        low, high = wilson(correct, samples)
        out[(task, 0, method, budget)] = {
            "task": task, "contextLength": 0, "method": method, "budget": budget, "samples": samples,
            "correct": correct, "accuracy": correct / samples if samples else 0.0,
            "low": round(low, 4), "high": round(high, 4), "lengths": sorted(s["contextLength"] for s in ss)}
    for k, s in (pooled_in_files or {}).items():
        out.setdefault(k, s)
    return out


def same_prompts(paths):
    """Per (task, length) found in two or more record files: [first file, other file, prompts of the other file,
    prompts with the same index in both, of which the expected answer, prompt tokens and depth agree].

    The harness numbers a task's prompts across all lengths of one run and seeds each prompt by its number, so a run
    over fewer lengths (e.g. one length per run) numbers from 0 and asks other prompts than a run over all lengths."""
    prompts = []  # per file: (task, length) -> {index: (answer, prompt tokens, depth)}
    for path in paths:
        by = {}
        for r in records(path):
            by.setdefault((r["task"], r["contextLength"]), {}).setdefault(
                r["index"], (r["answer"], r.get("promptTokens"), r.get("depth")))
        prompts.append(by)
    out = []
    for i, first in enumerate(prompts):
        for j in range(i + 1, len(prompts)):
            for tl, other in prompts[j].items():
                if tl not in first or any(tl in prompts[k] for k in range(i)):
                    continue
                common = [n for n in other if n in first[tl]]
                agree = sum(other[n] == first[tl][n] for n in common)
                out.append((tl, paths[i], paths[j], len(other), len(common), agree))
    return out


def prompts_table(checks):
    out = ["| task | length | first file | other file | prompts | same index | agree |", "|---|---:|---|---|---:|---:|---:|"]
    for (task, length), p1, p2, n, common, agree in sorted(checks):
        out.append(f"| {task} | {length} | {p1} | {p2} | {n} | {common} | {agree} |")
    return "\n".join(out)


def lengths_text(s):
    return ", ".join(str(n) for n in s.get("lengths", [])) or "?"


def pct(x):
    """Percent with one decimal, half rounded up (as results.md prints it)."""
    return f"{math.floor(1000 * x + 0.5) / 10:.1f}".rstrip("0").rstrip(".")


def cell(s):
    return f"{pct(s['accuracy'])} [{pct(s['low'])}–{pct(s['high'])}] ({s['correct']}/{s['samples']})"


def tasks_of(rows):
    order = ["passkey", "needle", "textneedle", "multikey", "multivalue", "multiquery", "vartrack", "commonwords"]
    present = {k[0] for k in rows}
    return [t for t in order if t in present] + sorted(present - set(order))


def lengths_of(rows):
    return sorted({k[1] for k in rows if k[1] != 0})


def full_table(rows, metrics):
    hf = (metrics or {}).get("eval_full_cache", {})
    out = ["| task | length | ours, full cache | transformers, full cache | target | met (ours) |",
           "|---|---:|---:|---:|---:|---|"]
    for task in tasks_of(rows):
        for length in lengths_of(rows):
            s = rows.get((task, length, "full", 1.0))
            if s is None:
                continue
            # transformers' evaluation ran at 4096 / 8192 tokens; ours at the grid's lengths (8064 ~ 8192).
            key = f"{task}_{4096 if length <= 4096 else 8192}"
            h = hf.get(key)
            hcell = (f"{pct(h['accuracy'])} [{pct(h['wilson95'][0])}–{pct(h['wilson95'][1])}] "
                     f"({round(h['accuracy'] * h['n'])}/{h['n']}, {key.split('_')[1]})") if h else "—"
            target = FULL_TARGETS.get(task)
            met = "—" if target is None else ("yes" if s["accuracy"] >= target else "no")
            out.append(f"| {task} | {length} | {cell(s)} | {hcell} | "
                       f"{'≥ ' + pct(target) if target else '—'} | {met} |")
    return "\n".join(out)


def share_table(rows, method="uncomp"):
    out = [f"| task | length | full | {method} 10 % | share of full | target ≥ 95 % |", "|---|---:|---:|---:|---:|---|"]
    for task in tasks_of(rows):
        for length in lengths_of(rows) + [0]:
            f, u = rows.get((task, length, "full", 1.0)), rows.get((task, length, method, 0.1))
            if f is None or u is None:
                continue
            if f.get("lengths") != u.get("lengths"):
                out.append(f"| {task} | all | {pct(f['accuracy'])} | {cell(u)} | lengths differ "
                           f"({lengths_text(f)} vs {lengths_text(u)}) | — |")
                continue
            share = u["accuracy"] / f["accuracy"] if f["accuracy"] > 0 else None
            verdict = "—" if task not in SHARE_TASKS or share is None else ("met" if share >= SHARE_TARGET else "not met")
            out.append(f"| {task} | {length or 'all'} | {pct(f['accuracy'])} | {cell(u)} | "
                       f"{'n/a (full = 0)' if share is None else pct(share) + ' %'} | {verdict} |")
    return "\n".join(out)


def beats(u, b):
    """(disjoint, half-width) wins of UNComp over a baseline."""
    half = max(u["high"] - u["low"], b["high"] - b["low"]) / 2
    return u["low"] > b["high"], u["accuracy"] - b["accuracy"] > half


def win_table(rows, method="uncomp", budget=0.05):
    out = [f"| task (lengths pooled) | full | {method} {pct(budget)} % | " + " | ".join(BASELINES) + " |",
           "|---|---:|---:|" + "---:|" * len(BASELINES)]
    counts = {b: [0, 0, 0] for b in BASELINES}   # disjoint wins, half-width wins, tasks
    able = {b: [0, 0] for b in BASELINES}        # disjoint wins, tasks, over tasks the full cache mostly answers
    for task in tasks_of(rows):
        f, u = rows.get((task, 0, "full", 1.0)), rows.get((task, 0, method, budget))
        if f is None or u is None:
            continue
        cells = []
        for b in BASELINES:
            s = rows.get((task, 0, b, budget))
            if s is None:
                cells.append("—")
                continue
            if s.get("lengths") != u.get("lengths"):
                cells.append(f"— (lengths differ: {lengths_text(s)} vs {lengths_text(u)})")
                continue
            strict, lenient = beats(u, s)
            counts[b][0] += strict
            counts[b][1] += lenient
            counts[b][2] += 1
            if f["accuracy"] >= ABLE:
                able[b][0] += strict
                able[b][1] += 1
            mark = "**wins**" if strict else ("wins (half-width only)" if lenient else
                                             ("behind" if s["low"] > u["high"] else "no clear win"))
            cells.append(f"{pct(s['accuracy'])} [{pct(s['low'])}–{pct(s['high'])}]: {mark}")
        out.append(f"| {task} | {pct(f['accuracy'])} | {pct(u['accuracy'])} [{pct(u['low'])}–{pct(u['high'])}] | "
                   + " | ".join(cells) + " |")
    out.append("| **tasks won (disjoint / half-width rule)** | | | "
               + " | ".join(f"{c[0]} / {c[1]} of {c[2]}" for c in counts.values()) + " |")
    out.append(f"| **tasks won, only tasks with full cache ≥ {pct(ABLE)} % (disjoint rule)** | | | "
               + " | ".join(f"{c[0]} of {c[1]}" for c in able.values()) + " |")
    if any(c[2] == 0 for c in counts.values()):
        return "\n".join(out), None, None  # some baseline compared on no task: not judged
    need = {b: (c[2] + 1) // 2 for b, c in counts.items()}
    strict_met = all(c[0] >= need[b] for b, c in counts.items())
    lenient_met = all(c[1] >= need[b] for b, c in counts.items())
    return "\n".join(out), strict_met, lenient_met


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("summaries", nargs="+", help="results.json / summary json files of `uncomp eval`")
    ap.add_argument("--metrics", help="the training run's metrics.json (transformers' full-cache accuracy)")
    ap.add_argument("--uncomp-method", default="uncomp",
                    help="the method judged as UNComp: uncomp (default, with the profile's hidden-state stages) or uncomp-kv")
    ap.add_argument("--records", nargs="+", default=[],
                    help="per-prompt records (records-*.jsonl.gz or results.json) of the merged runs: check they asked the same prompts")
    ap.add_argument("--lengths", help="comma list: judge only these context lengths (pooled over them)")
    args = ap.parse_args(argv)
    only = {int(x) for x in args.lengths.split(",")} if args.lengths else None
    rows, model = load(args.summaries, lengths=only)
    method = args.uncomp_method
    if not any(k[2] == method for k in rows):
        found = sorted({k[2] for k in rows})
        sys.exit(f"no summary row of method '{method}' in the files (methods found: {', '.join(found)}); "
                 "pass the files that hold it or another --uncomp-method")
    metrics = None
    if args.metrics:
        with open(args.metrics, encoding="utf-8") as fh:
            metrics = json.load(fh)
    if args.records:
        checks = same_prompts(args.records)
        print("### Same prompts? (expected answer, prompt tokens and depth per prompt index)\n")
        print(prompts_table(checks) if checks else "No (task, length) appears in more than one record file.")
        if any(agree < n for _, _, _, n, _, agree in checks):
            print("\nSome prompts differ: those cells compare different prompts (drawn from the same templates, so "
                  "the interval comparison still holds, unpaired). A run over fewer lengths numbers its prompts from "
                  "0 and so asks other prompts than a grid over all lengths.")
        print()
    print(f"### {model}: full-cache accuracy, % [95 % Wilson] (correct/prompts)\n")
    print(full_table(rows, metrics))
    print(f"\n### {method} at a 10 % mean budget, share of full-cache accuracy\n")
    print(share_table(rows, method))
    table, strict_met, lenient_met = win_table(rows, method)
    print(f"\n### At a 5 % budget: does {method} beat each baseline by more than the interval width?\n")
    print(f"Accuracy % [95 % Wilson], lengths pooled. Rule: **wins** = {method}'s lower bound above the baseline's "
          "upper bound (intervals disjoint); \"half-width only\" = the difference exceeds the wider half-width but "
          f"the intervals overlap; \"behind\" = the baseline's lower bound above {method}'s upper bound.\n")
    print(table)
    if strict_met is None:
        print("\nTarget (a win on at least half the tasks against every baseline): not judged, some baseline has no "
              "task compared on the same lengths (pass every length's summaries, or --lengths).")
    else:
        print(f"\nTarget (a win on at least half the tasks against every baseline): "
              f"{'met' if strict_met else 'not met'} under the disjoint rule, "
              f"{'met' if lenient_met else 'not met'} under the half-width rule.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
