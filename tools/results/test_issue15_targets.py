#!/usr/bin/env python3
"""Tests of issue15_targets.py (standard library): python3 -m unittest discover -s tools/results -p 'test_*.py'"""
import gzip
import io
import json
import os
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import issue15_targets as t  # noqa: E402


def row(task, length, method, budget, correct, samples=100):
    low, high = t.wilson(correct, samples)
    return {"task": task, "contextLength": length, "method": method, "budget": budget, "samples": samples,
            "correct": correct, "accuracy": correct / samples, "low": round(low, 4), "high": round(high, 4)}


class TargetsTests(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def write(self, name, summaries, model="m"):
        path = os.path.join(self.dir.name, name)
        with open(path, "w", encoding="utf-8") as fh:
            json.dump({"model": model, "summaries": summaries}, fh)
        return path

    def write_records(self, name, records):
        path = os.path.join(self.dir.name, name)
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            fh.write("".join(json.dumps(r) + "\n" for r in records))
        return path

    def test_wilson_matches_the_harness_rows(self):
        # Pooled rows of docs/results/gpu-eval-llama/summary-core.json: 199/200 and 89/200 as the harness printed them.
        self.assertEqual(tuple(round(x, 4) for x in t.wilson(199, 200)), (0.9722, 0.9991))
        self.assertEqual(tuple(round(x, 4) for x in t.wilson(0, 100)), (0.0, 0.037))
        self.assertEqual(t.wilson(0, 0), (0.0, 1.0))

    def test_one_file_per_length_pools_both_lengths_not_the_files_own_pooled_row(self):
        gpu = self.write("gpu.json", [row("passkey", 4096, "full", 1.0, 100), row("passkey", 8064, "full", 1.0, 98)])
        # A one-length CPU run also writes an "all lengths" row equal to its one length.
        cpu4 = self.write("cpu4.json", [row("passkey", 4096, "uncomp-kv", 0.1, 90), row("passkey", 0, "uncomp-kv", 0.1, 90)])
        cpu8 = self.write("cpu8.json", [row("passkey", 8064, "uncomp-kv", 0.1, 70), row("passkey", 0, "uncomp-kv", 0.1, 70)])
        rows, model = t.load([gpu, cpu4, cpu8])
        pooled = rows[("passkey", 0, "uncomp-kv", 0.1)]
        self.assertEqual((pooled["correct"], pooled["samples"]), (160, 200))
        self.assertEqual((pooled["low"], pooled["high"]), tuple(round(x, 4) for x in t.wilson(160, 200)))
        self.assertEqual(rows[("passkey", 0, "full", 1.0)]["correct"], 198)
        self.assertEqual(model, "m")

    def test_a_cell_in_two_files_keeps_the_first_and_reports_a_differing_duplicate(self):
        first = self.write("a.json", [row("needle", 4096, "full", 1.0, 100)])
        second = self.write("b.json", [row("needle", 4096, "full", 1.0, 97)])
        warnings = []
        rows, _ = t.load([first, second], warn=warnings.append)
        self.assertEqual(rows[("needle", 4096, "full", 1.0)]["correct"], 100)
        self.assertEqual(len(warnings), 1)
        self.assertIn("97/100", warnings[0])

    def test_win_table_judges_the_named_method_by_disjoint_intervals(self):
        rows = {}
        for task, kv, snap in (("passkey", 95, 40), ("needle", 45, 40)):
            for length in (4096, 8064):
                rows[(task, length, "full", 1.0)] = row(task, length, "full", 1.0, 100)
                rows[(task, length, "uncomp-kv", 0.05)] = row(task, length, "uncomp-kv", 0.05, kv)
                rows[(task, length, "uncomp", 0.05)] = row(task, length, "uncomp", 0.05, 0)
                for b in t.BASELINES:
                    rows[(task, length, b, 0.05)] = row(task, length, b, 0.05, snap)
        rows = t.pool(rows)
        table, strict, lenient = t.win_table(rows, "uncomp-kv")
        # passkey 190/200 vs 80/200: disjoint; needle 90/200 vs 80/200: neither rule. 1 of 2 tasks = half: met.
        self.assertIn("| passkey | 100 | 95 [", table)
        self.assertIn("1 / 1 of 2", table)
        self.assertTrue(strict and lenient)
        _, strict_stages, _ = t.win_table(rows, "uncomp")
        self.assertFalse(strict_stages)

    def test_cells_over_different_lengths_are_not_compared_and_the_target_is_not_judged(self):
        rows = {}
        for length in (4096, 8064):
            rows[("passkey", length, "full", 1.0)] = row("passkey", length, "full", 1.0, 100)
            for b in t.BASELINES:
                rows[("passkey", length, b, 0.05)] = row("passkey", length, b, 0.05, 10)
        rows[("passkey", 4096, "uncomp-kv", 0.05)] = row("passkey", 4096, "uncomp-kv", 0.05, 90)
        rows = t.pool(rows)
        table, strict, lenient = t.win_table(rows, "uncomp-kv")
        self.assertIn("lengths differ: 4096, 8064 vs 4096", table)
        self.assertIsNone(strict)
        self.assertIsNone(lenient)
        only_4096 = t.pool({k: v for k, v in rows.items() if k[1] == 4096})
        _, strict, _ = t.win_table(only_4096, "uncomp-kv")
        self.assertTrue(strict)

    def test_same_prompts_flags_a_run_that_numbers_its_prompts_differently(self):
        def rec(index, answer, length=8064):
            return {"task": "passkey", "contextLength": length, "index": index, "answer": answer,
                    "promptTokens": length + 3, "depth": 0.5, "method": "full"}
        grid = self.write_records("grid.jsonl.gz", [rec(100, "123"), rec(101, "456"), rec(0, "9", 4096)])
        same = self.write_records("same.jsonl.gz", [rec(100, "123"), rec(101, "457")])
        alone = self.write_records("alone.jsonl.gz", [rec(0, "777"), rec(1, "888")])
        checks = {(c[0], c[2]): c[3:] for c in t.same_prompts([grid, same, alone])}
        self.assertEqual(checks[(("passkey", 8064), same)], (2, 2, 1))    # one answer differs
        self.assertEqual(checks[(("passkey", 8064), alone)], (2, 0, 0))   # no common prompt number
        self.assertNotIn((("passkey", 4096), same), checks)

    def test_main_names_the_methods_found_when_the_asked_one_is_missing(self):
        path = self.write("gpu.json", [row("passkey", 4096, "full", 1.0, 100)])
        with self.assertRaises(SystemExit) as ctx, redirect_stdout(io.StringIO()):
            t.main([path, "--uncomp-method", "uncomp-kv"])
        self.assertIn("methods found: full", str(ctx.exception))


if __name__ == "__main__":
    unittest.main()
