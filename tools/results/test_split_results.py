#!/usr/bin/env python3
"""Tests of split_results.py (standard library): python3 -m unittest discover -s tools/results -p 'test_*.py'"""
import gzip
import io
import json
import os
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import split_results  # noqa: E402


class SplitResultsTests(unittest.TestCase):
    def test_summary_drops_the_records_and_the_records_come_back_one_a_line_in_order(self):
        doc = {"model": "m", "summaries": [{"task": "passkey", "correct": 1}],
               "records": [{"task": "passkey", "index": i, "answer": f"é{i}"} for i in range(3)]}
        with tempfile.TemporaryDirectory() as d:
            src, summary, records = (os.path.join(d, n) for n in ("results.json", "s.json", "r.jsonl.gz"))
            with open(src, "w", encoding="utf-8") as fh:
                json.dump(doc, fh)
            with redirect_stdout(io.StringIO()):
                split_results.main([src, summary, records])
            with open(summary, encoding="utf-8") as fh:
                self.assertEqual(json.load(fh), {"model": "m", "summaries": [{"task": "passkey", "correct": 1}]})
            with gzip.open(records, "rt", encoding="utf-8") as fh:
                lines = fh.read().splitlines()
            self.assertEqual([json.loads(x) for x in lines], doc["records"])
            self.assertIn('"answer":"é0"', lines[0])

    def test_a_summary_only_file_is_refused_by_name(self):
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "summary.json")
            with open(src, "w", encoding="utf-8") as fh:
                json.dump({"summaries": []}, fh)
            with self.assertRaises(SystemExit) as ctx:
                split_results.main([src, os.path.join(d, "s.json"), os.path.join(d, "r.jsonl.gz")])
            self.assertIn("summary.json", str(ctx.exception))


if __name__ == "__main__":
    unittest.main()
