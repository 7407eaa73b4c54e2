#!/usr/bin/env python3
"""Writes the ~5 MB benchmark text: the parity corpus strings (lone-surrogate ones excluded) joined by
newlines, repeated until at least 5,000,000 UTF-8 bytes. Usage: make_bench_text.py CORPUS.jsonl.gz OUT.txt"""
import gzip
import json
import sys

with gzip.open(sys.argv[1], "rt", encoding="utf-8") as f:
    texts = [json.loads(line) for line in f if line.strip()]
block = "\n".join(t["text"] for t in texts if not t["lone"]) + "\n"
reps = -(-5_000_000 // len(block.encode("utf-8")))
with open(sys.argv[2], "w", encoding="utf-8", newline="") as f:
    f.write(block * reps)
