"""Tests of ncu_summary.py on a real Nsight Compute raw CSV (docs/benchmarks/gpu/decode-80/run1) and on made-up ones."""
import json
import lzma
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCRIPT = os.path.join(HERE, "ncu_summary.py")
RUN1 = os.path.join(ROOT, "docs", "benchmarks", "gpu", "decode-80", "run1", "ncu-raw.csv.xz")

HEADER = '"ID","Process ID","Process Name","Host Name","Kernel Name","Context","Stream","Block Size","Grid Size","Device","CC",' \
         '"dram__bytes_read.sum","dram__bytes_write.sum","gpu__time_duration.sum","launch__block_size","launch__grid_size",' \
         '"launch__registers_per_thread"\n'
UNITS = '"","","","","","","","","","","","byte","byte","nsecond","","",""\n'


def row(i, name, stream, grid, ns, read):
    return f'"{i}","1","uncomp","h","{name}","1","{stream}","(256, 1, 1)","({grid}, 1, 1)","0","9.0","{read}","0","{ns}","256","{grid}","64"\n'


class NcuSummaryTests(unittest.TestCase):
    def run_script(self, text, steps):
        with tempfile.TemporaryDirectory() as d:
            raw, out = os.path.join(d, "raw.csv"), os.path.join(d, "summary.json")
            with open(raw, "w") as f:
                f.write(text)
            p = subprocess.run([sys.executable, SCRIPT, raw, "--steps", str(steps), "--json", out], capture_output=True, text=True)
            summary = json.load(open(out)) if os.path.exists(out) else None
            return p, summary

    def test_real_capture_of_two_uncomp_steps_gives_the_committed_totals(self):
        text = lzma.open(RUN1, "rt").read()
        p, s = self.run_script(text, 2)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("840 launches over 2 steps", p.stdout)
        self.assertEqual(s["us_per_step"], 6021.6)
        self.assertEqual(s["main_stream_us_per_step"], 4899.3)
        argmax = [k for k in s["kernels"] if k["kernel"] == "argmax_rows"]
        self.assertEqual(len(argmax), 1)
        self.assertEqual(argmax[0]["launches_per_step"], 1.0)
        self.assertAlmostEqual(argmax[0]["us_each"], 51.33, places=2)

    def test_sums_per_kernel_and_step_reads_thousands_separators_and_skips_tool_messages(self):
        text = "==PROF== Connected to process 1\n" + HEADER + UNITS + \
            row(0, "gemv_bf16(int)", 13, 132, "15,600", "50,331,648") + row(1, "rescore_stats_d128", 14, 208, "8,000", "1,000") + \
            row(2, "gemv_bf16(int)", 13, 132, "14,400", "50,331,648") + row(3, "rescore_stats_d128", 14, 208, "8,200", "1,000")
        p, s = self.run_script(text, 2)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(s["us_per_step"], 23.1)          # (15.6 + 8.0 + 14.4 + 8.2) / 2
        self.assertEqual(s["main_stream_us_per_step"], 15.0)
        gemv = s["kernels"][0]
        self.assertEqual((gemv["kernel"], gemv["stream"], gemv["launches_per_step"]), ("gemv_bf16", "main", 1.0))
        self.assertEqual(gemv["us_each"], 15.0)
        self.assertEqual(gemv["read_GBps"], round(2 * 50331648 / 30000, 1))
        self.assertEqual(s["kernels"][1]["stream"], "side")

    def test_a_file_without_kernel_rows_says_what_to_check(self):
        p, s = self.run_script("==PROF== Connected to process 1\n==PROF== Disconnected\n", 2)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("no profiled kernels", p.stderr)
        self.assertIsNone(s)


if __name__ == "__main__":
    unittest.main()
