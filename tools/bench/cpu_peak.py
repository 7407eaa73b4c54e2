"""The CPU's own ceilings, measured in the same run as the benchmarks (tools/bench/cpu.sh):
fp32 GEMM FLOP/s (torch.mm, i.e. oneDNN/MKL, the best this CPU does in practice) and copy bandwidth (torch copy_,
bytes read + written) for a 1 GiB array (DRAM) and a 16 MiB array (last-level cache), at each thread count; plus the
theoretical fp32 FMA peak from lscpu (cores x max MHz x FLOP/cycle: 64 with AVX-512 assuming two 512-bit FMA units,
32 with AVX2) — an upper bound, stated with its assumption.

  python3 tools/bench/cpu_peak.py --threads 1,16 --out peak.json
"""
import argparse
import json
import subprocess
import time

import torch


def best(fn, reps):
    fn()
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return min(t)


def lscpu():
    info = {}
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout.splitlines():
            if ":" in line:
                k, v = line.split(":", 1)
                info[k.strip()] = v.strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return info


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", default="1,16")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    info = lscpu()
    flags = info.get("Flags", "")
    flop_per_cycle = 64 if "avx512f" in flags else 32 if "avx2" in flags else 8
    mhz = float(info.get("CPU max MHz", "0") or 0)
    rows = []
    for t in [int(x) for x in a.threads.split(",")]:
        torch.set_num_threads(t)
        n = 2048 if t == 1 else 4096
        x, y = torch.randn(n, n), torch.randn(n, n)
        s = best(lambda: torch.mm(x, y), 3)
        gemm = 2 * n ** 3 / s
        big_a, big_b = torch.ones(256 << 20), torch.empty(256 << 20)  # 1 GiB each
        dram = 2 * big_a.numel() * 4 / best(lambda: big_b.copy_(big_a), 3)
        small_a, small_b = torch.ones(4 << 20), torch.empty(4 << 20)  # 16 MiB each
        llc = 2 * small_a.numel() * 4 / best(lambda: small_b.copy_(small_a), 20)
        del big_a, big_b
        row = {"threads": t, "gemmFlops": gemm, "gemmSize": n, "copyBytesPerSecondDram": dram, "copyBytesPerSecond16MiB": llc,
               "theoreticalFlops": t * mhz * 1e6 * flop_per_cycle if mhz else None}
        rows.append(row)
        print("threads %2d: torch.mm %.1f GFLOP/s, copy 1 GiB %.1f GB/s, copy 16 MiB %.1f GB/s" % (t, gemm / 1e9, dram / 1e9, llc / 1e9), flush=True)
    out = {"cpu": info.get("Model name"), "sockets": info.get("Socket(s)"), "coresPerSocket": info.get("Core(s) per socket"),
           "threadsPerCore": info.get("Thread(s) per core"), "maxMHz": mhz, "l3": info.get("L3 cache"), "l2": info.get("L2 cache"),
           "flopPerCycleAssumed": flop_per_cycle, "torch": torch.__version__, "rows": rows}
    with open(a.out, "w") as fh:
        json.dump(out, fh, indent=2)


if __name__ == "__main__":
    main()
