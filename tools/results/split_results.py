#!/usr/bin/env python3
"""Splits an `uncomp eval` results.json into a summary (everything but the per-prompt "records") and the records,
one JSON object a line, gzipped: the layout of docs/results/gpu-eval-llama (summary-*.json, records-*.jsonl.gz).

Usage: python3 tools/results/split_results.py RESULTS.json SUMMARY.json RECORDS.jsonl.gz
Standard library only.
"""
import argparse
import gzip
import json
import sys


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", help="results.json written by `uncomp eval`")
    ap.add_argument("summary", help="summary json to write (results.json without 'records')")
    ap.add_argument("records", help="records .jsonl.gz to write")
    args = ap.parse_args(argv)
    with open(args.results, encoding="utf-8") as fh:
        doc = json.load(fh)
    if "records" not in doc or "summaries" not in doc:
        sys.exit(f"{args.results}: needs 'summaries' and 'records' (a results.json written by `uncomp eval`)")
    records = doc.pop("records")
    with open(args.summary, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, ensure_ascii=False, indent=1)
        fh.write("\n")
    # mtime 0: the same records give the same bytes
    with gzip.GzipFile(args.records, "wb", mtime=0) as gz:
        gz.write("".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records).encode("utf-8"))
    print(f"{args.summary}: {len(doc['summaries'])} summary rows; {args.records}: {len(records)} records")
    return 0


if __name__ == "__main__":
    sys.exit(main())
