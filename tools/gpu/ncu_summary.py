#!/usr/bin/env python3
"""Summarises an Nsight Compute raw CSV (tools/gpu/ncu-decode.sh) of N captured decode steps: per kernel (name, grid,
block, stream) the launches and device µs per step, DRAM bytes and the achieved read rate, then one step's launches in
order for its first layers. Usage: ncu_summary.py RAW.csv --steps N [--json OUT.json]"""
import argparse
import csv
import json
import re
import sys


def number(text):
    text = (text or "").replace(",", "").strip()
    try:
        return float(text)
    except ValueError:
        return 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("raw")
    ap.add_argument("--steps", type=int, required=True)
    ap.add_argument("--json")
    ap.add_argument("--sequence", type=int, default=40, help="launches of one step to list in order")
    a = ap.parse_args()
    with open(a.raw, newline="") as f:
        lines = [line for line in f if line.startswith('"')]  # ncu's own messages (==PROF==) are not CSV rows
    rows = list(csv.reader(lines))
    if len(rows) < 3:
        sys.exit(f"{a.raw}: no profiled kernels (did the bench open a capture range? is ncu allowed to read the counters?)")
    header, data = rows[0], rows[2:]  # row 1 holds the units (--print-units base: ns, byte)
    col = {name: i for i, name in enumerate(header)}
    for need in ("ID", "Kernel Name", "gpu__time_duration.sum"):
        if need not in col:
            sys.exit(f"{a.raw}: column {need!r} missing; columns: {header}")

    def get(r, name):
        i = col.get(name)
        return r[i] if i is not None and i < len(r) else ""

    launches = []
    for r in data:
        name = re.split(r"[(<]", get(r, "Kernel Name"))[0].strip()
        launches.append({
            "id": int(number(get(r, "ID"))), "name": name, "stream": get(r, "Stream"),
            "grid": get(r, "launch__grid_size") or get(r, "Grid Size"), "block": get(r, "launch__block_size") or get(r, "Block Size"),
            "us": number(get(r, "gpu__time_duration.sum")) / 1e3,
            "read": number(get(r, "dram__bytes_read.sum")), "write": number(get(r, "dram__bytes_write.sum")),
            "regs": get(r, "launch__registers_per_thread"),
        })
    launches.sort(key=lambda x: x["id"])
    # The main stream: the one with the most launches (ties: the one launched on first).
    first = {}
    for x in launches:
        first.setdefault(x["stream"], x["id"])
    streams = sorted(first, key=lambda s: (-sum(1 for x in launches if x["stream"] == s), first[s]))
    main_stream = streams[0] if streams else ""
    groups = {}
    for x in launches:
        key = (x["name"], x["grid"], x["block"], x["stream"])
        g = groups.setdefault(key, {"count": 0, "us": 0.0, "read": 0.0, "write": 0.0, "regs": x["regs"]})
        g["count"] += 1
        g["us"] += x["us"]
        g["read"] += x["read"]
        g["write"] += x["write"]
    total = sum(g["us"] for g in groups.values()) / a.steps
    on_main = sum(g["us"] for k, g in groups.items() if k[3] == main_stream) / a.steps
    print(f"{len(launches)} launches over {a.steps} steps; device time per step {total:.1f} µs, "
          f"{on_main:.1f} µs on the main stream ({main_stream}), {total - on_main:.1f} µs on other streams (serialised by ncu)")
    print(f"{'kernel':34} {'grid':>12} {'block':>6} {'str':>4} {'n/step':>6} {'µs/step':>9} {'µs each':>8} {'MB read':>8} {'GB/s':>6} regs")
    summary = []
    for key, g in sorted(groups.items(), key=lambda kv: -kv[1]["us"]):
        name, grid, block, stream = key
        per = g["count"] / a.steps
        each = g["us"] / g["count"]
        mb = g["read"] / g["count"] / 1e6
        rate = g["read"] / (g["us"] * 1e3) if g["us"] > 0 else 0
        main = "main" if stream == main_stream else "side"
        print(f"{name[:34]:34} {grid:>12} {block:>6} {main:>4} {per:6.1f} {g['us'] / a.steps:9.1f} {each:8.2f} {mb:8.2f} {rate:6.0f} {g['regs']}")
        summary.append({"kernel": name, "grid": grid, "block": block, "stream": main, "launches_per_step": per,
                        "us_per_step": round(g["us"] / a.steps, 2), "us_each": round(each, 3), "dram_read_MB_each": round(mb, 3),
                        "read_GBps": round(rate, 1)})
    per_step = len(launches) // a.steps
    print(f"\nthe last step's first {a.sequence} launches in order:")
    for x in launches[-per_step:][: a.sequence]:
        print(f"  {x['id']:6} {x['name'][:40]:40} {x['grid']:>12} {'main' if x['stream'] == main_stream else 'side':>4} {x['us']:8.2f} µs {x['read'] / 1e6:8.2f} MB")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"steps": a.steps, "us_per_step": round(total, 1), "main_stream_us_per_step": round(on_main, 1), "kernels": summary}, f, indent=1)


if __name__ == "__main__":
    main()
