#!/usr/bin/env python3
"""Golden ids from HF `tokenizers` for the parity corpus, plus HF's single-thread encode throughput.

Usage (GPU machine, tokenizers 0.23):
  RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false python3 golden_ids.py OUTDIR CORPUS.jsonl.gz BENCH.txt NAME=PATH...
NAME=variants.json:VARIANT builds a variant (see tests/fixtures/tokenizers/variants.json) from NAME's base,
which must be given earlier on the command line; BENCH.txt "-" skips the throughput measurement.
Writes OUTDIR/<name>.golden.jsonl.gz, one line per corpus string:
  {"id": n, "a": ids(add_special_tokens=True), "n": ids(False), "d": decode(a), "ds": decode(a, skip_special_tokens=True)}
and prints one "bench <name> <MB/s>" line per tokenizer: encode (add_special_tokens=False) of BENCH.txt in 1 MiB
chunks (split at line ends), best of 3 after one warm-up pass.
"""
import gzip
import json
import os
import sys
import time


def chunks(text, size=1 << 20):
    out, start = [], 0
    while start < len(text):
        end = text.find("\n", start + size)
        end = len(text) if end < 0 else end + 1
        out.append(text[start:end])
        start = end
    return out


def main():
    from tokenizers import Tokenizer, __version__
    outdir, corpus_path, bench_path = sys.argv[1], sys.argv[2], sys.argv[3]
    print("tokenizers", __version__, flush=True)
    with gzip.open(corpus_path, "rt", encoding="utf-8") as f:
        corpus = [json.loads(line) for line in f if line.strip()]
    bench = ""
    if bench_path != "-":
        with open(bench_path, encoding="utf-8") as f:
            bench = f.read()
    bench_chunks = chunks(bench)
    mb = len(bench.encode("utf-8")) / 1e6
    sources = {}
    for spec in sys.argv[4:]:
        name, path = spec.split("=", 1)
        if ":" in path:
            variants_path, variant_name = path.split(":", 1)
            with open(variants_path, encoding="utf-8") as f:
                variant = json.load(f)[variant_name]
            doc = json.loads(sources[variant["base"]])
            doc.update(variant.get("set", {}))
            doc["added_tokens"] = doc.get("added_tokens", []) + variant.get("append_added_tokens", [])
            text = json.dumps(doc, ensure_ascii=False)
        else:
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rt", encoding="utf-8") as f:
                text = f.read()
        sources[name] = text
        tok = Tokenizer.from_str(text)
        lines = []
        for item in corpus:
            a = tok.encode(item["text"], add_special_tokens=True).ids
            n = tok.encode(item["text"], add_special_tokens=False).ids
            d = tok.decode(a, skip_special_tokens=False)
            ds = tok.decode(a, skip_special_tokens=True)
            lines.append(json.dumps({"id": item["id"], "a": a, "n": n, "d": d, "ds": ds}, ensure_ascii=True))
        out = os.path.join(outdir, f"{name}.golden.jsonl.gz")
        with open(out, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as g:
            g.write(("\n".join(lines) + "\n").encode("ascii"))
        print(f"golden {name}: {len(lines)} strings", flush=True)
        if not bench_chunks:
            continue
        t0 = time.perf_counter()
        for c in bench_chunks:
            tok.encode(c, add_special_tokens=False)
        first = time.perf_counter() - t0
        best = float("inf")
        count = 0
        for _ in range(3):
            t0 = time.perf_counter()
            count = sum(len(tok.encode(c, add_special_tokens=False).ids) for c in bench_chunks)
            best = min(best, time.perf_counter() - t0)
        print(f"bench {name} {mb / best:.2f} MB/s ({mb:.2f} MB, {count} tokens, best {best:.3f}s; first pass {mb / first:.2f} MB/s)", flush=True)


if __name__ == "__main__":
    main()
