"""HF transformers peer of `uncomp bench` on the CPU: same safetensors, same prompt ids, same lengths.

fp32, SDPA attention (transformers' default), the default DynamicCache, torch.set_num_threads(n). Prefill is one
forward over the prompt with logits for the last position only (logits_to_keep=1, as our engine computes them);
decode is a plain greedy loop of model() calls with the cache (no generate() overhead): new - 1 timed steps, the
first new token coming from the prefill, exactly as `uncomp bench` counts. Warm-up runs are discarded.

  python3 tools/bench/cpu_peer.py --model models/fixture-llama --prompt-tokens 1024 --new 64 --threads 1,16 --out t.json

Prompt ids: SplitMix64(seed) mod vocab, the same generator as src/Cli/Bench/BenchPrompt.cs; the SHA-256 of the ids
(little-endian int32) is written so the two reports can be checked against each other.
"""
import argparse
import datetime
import hashlib
import json
import os
import platform
import statistics
import struct
import sys
import time

import torch
import transformers
from transformers import AutoConfig, AutoModelForCausalLM

MASK = (1 << 64) - 1


def prompt_ids(length, vocab, seed):
    ids, state = [], seed & 0xFFFFFFFF
    for _ in range(length):
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        z ^= z >> 31
        ids.append(z % vocab)
    return ids


def ids_sha256(ids):
    return hashlib.sha256(struct.pack("<%di" % len(ids), *ids)).hexdigest()


def cpu_model():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def phase(tokens, seconds, cpu_seconds):
    s = sorted(seconds)
    med = statistics.median(s)
    return {
        "tokens": tokens, "seconds": seconds, "cpuSeconds": cpu_seconds, "minSeconds": s[0], "medianSeconds": med,
        "tokensPerSecondBest": tokens / s[0] if s[0] > 0 else 0, "tokensPerSecondMedian": tokens / med if med > 0 else 0,
    }


@torch.inference_mode()
def run_once(model, ids, new):
    x = torch.tensor([ids])
    c0, t0 = time.process_time(), time.perf_counter()
    out = model(input_ids=x, use_cache=True, logits_to_keep=1)
    t1, c1 = time.perf_counter(), time.process_time()
    past = out.past_key_values
    nxt = out.logits[0, -1].argmax()
    steps = 0
    for _ in range(new - 1):
        out = model(input_ids=nxt.view(1, 1), past_key_values=past, use_cache=True)
        past = out.past_key_values
        nxt = out.logits[0, -1].argmax()
        steps += 1
    t2, c2 = time.perf_counter(), time.process_time()
    return t1 - t0, c1 - c0, t2 - t1, c2 - c1, steps


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--prompt-tokens", default="1024", help="comma list")
    ap.add_argument("--new", type=int, default=64)
    ap.add_argument("--threads", default="1", help="comma list of torch.set_num_threads values")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    started = datetime.datetime.now(datetime.timezone.utc).isoformat()
    config = AutoConfig.from_pretrained(a.model)
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.float32, attn_implementation="sdpa").eval()
    params = sum(p.numel() for p in model.parameters())
    results = []
    for threads in [int(t) for t in a.threads.split(",")]:
        torch.set_num_threads(threads)
        for n in [int(t) for t in a.prompt_tokens.split(",")]:
            ids = prompt_ids(n, config.vocab_size, a.seed)
            pre, pre_cpu, dec, dec_cpu, steps = [], [], [], [], 0
            for r in range(a.warmup + a.runs):
                p, pc, d, dc, steps = run_once(model, ids, a.new)
                if r >= a.warmup:
                    pre.append(p), pre_cpu.append(pc), dec.append(d), dec_cpu.append(dc)
            res = {
                "device": "cpu", "engine": "transformers", "threads": torch.get_num_threads(), "method": "full",
                "promptTokens": n, "batch": 1, "promptIdsSha256": ids_sha256(ids),
                "prefill": phase(n, pre, pre_cpu), "decode": phase(steps, dec, dec_cpu),
                "kvBytesAllocated": 0, "kvBytesInUse": 0,
            }
            results.append(res)
            print("threads %2d prompt %5d: prefill %8.0f tok/s (median %8.0f), decode %7.1f tok/s (median %7.1f)" % (
                threads, n, res["prefill"]["tokensPerSecondBest"], res["prefill"]["tokensPerSecondMedian"],
                res["decode"]["tokensPerSecondBest"], res["decode"]["tokensPerSecondMedian"]), flush=True)

    report = {
        "schema": "uncomp-bench/1",
        "command": " ".join(["python3"] + sys.argv),
        "startedUtc": started,
        "machine": {"os": platform.platform(), "cpu": cpu_model(), "logicalCores": os.cpu_count(), "memoryBytes": 0,
                    "cpuKernelIsa": torch.backends.cpu.get_cpu_capability()},
        "versions": {"uncomp": "n/a (peer)", "dotnet": "n/a", "runtimeIdentifier": platform.machine(), "deployment": "python",
                     "python": platform.python_version(), "torch": torch.__version__, "transformers": transformers.__version__},
        "model": {"name": os.path.basename(os.path.abspath(a.model)), "architecture": config.architectures[0],
                  "layers": config.num_hidden_layers, "hiddenSize": config.hidden_size, "parameters": params, "weightBytes": 4 * params},
        "settings": {"newTokens": a.new, "warmupRuns": a.warmup, "runs": a.runs, "seed": a.seed,
                     "prompt": "splitmix64(seed) mod vocab (same as uncomp bench)",
                     "peer": "fp32, sdpa, DynamicCache, model() greedy loop (no generate), logits_to_keep=1 in prefill"},
        "results": results,
    }
    with open(a.out, "w") as fh:
        json.dump(report, fh, indent=2)


if __name__ == "__main__":
    main()
