#!/usr/bin/env python3
"""The Hugging Face transformers peer of `uncomp bench --device cuda`, on the same safetensors and the same GPU:
copy bandwidth, prefill time of a long prompt (SDPA attention, logits of the last token only), batch-1 decode
tok/s with the full cache, and aggregate decode tok/s over batch sizes until out of memory (the prompt's cache is
repeated per row with DynamicCache.batch_repeat_interleave, so no batch of long prefills is needed).
Decode runs transformers' default configuration: dynamic cache, eager PyTorch (no torch.compile; see the JSON).
Also KV bytes of the prompt's cache and peak memory (PyTorch's peak allocation, and device memory in use).

  python3 tools/bench/hf_gpu_peer.py --model DIR --context 32768 --json out.json
  python3 tools/bench/hf_gpu_peer.py --model DIR --context 4096,8192,16384,32768 --no-sweep --json rows.json
"""
import argparse, copy, json, os, sys

import torch
from transformers import AutoModelForCausalLM

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_common as hc  # noqa: E402

timed = hc.timed


def measure_context(model, context, args):
    """Prefill, batch-1 decode and (unless --no-sweep) the batch sweep at one prompt length."""
    res = {"context": context}
    gen = torch.Generator().manual_seed(args.seed)
    ids = torch.randint(0, model.config.vocab_size, (1, context), generator=gen).cuda()
    hc.reset_memory("cuda")
    model(ids[:, :256], logits_to_keep=1)
    best = 1e9
    for _ in range(2):
        out = None
        t, out = timed(lambda: model(ids, use_cache=True, logits_to_keep=1))
        best = min(best, t)
    res["prefill_s"] = round(best, 4)
    print(f"HF prefill {context} tokens: {best:.3f} s", flush=True)
    cache = out.past_key_values
    nxt = out.logits[:, -1].argmax(-1, keepdim=True)
    res["kv_bytes"] = hc.kv_bytes(cache)
    for _ in range(3):
        o = model(nxt, past_key_values=cache, use_cache=True)
        nxt = o.logits[:, -1].argmax(-1, keepdim=True)

    def steps(n, tok):
        for _ in range(n):
            o = model(tok, past_key_values=cache, use_cache=True)
            tok = o.logits[:, -1].argmax(-1, keepdim=True)
        return tok

    t, nxt = timed(lambda: steps(args.new, nxt))
    res["decode_b1_tok_s"] = round(args.new / t, 2)
    res.update(hc.memory("cuda"))
    print(f"HF decode batch 1: {args.new / t:.1f} tok/s", flush=True)
    if args.no_sweep:
        return res
    base = cache
    sweep = []
    b = 1
    while True:
        try:
            c = copy.deepcopy(base)
            if b > 1:
                c.batch_repeat_interleave(b)
            tok = nxt.repeat(b, 1)
            for _ in range(2):
                o = model(tok, past_key_values=c, use_cache=True)
                tok = o.logits[:, -1].argmax(-1, keepdim=True)
            n = 8

            def bsteps(tok=tok, c=c):
                for _ in range(n):
                    o = model(tok, past_key_values=c, use_cache=True)
                    tok = o.logits[:, -1].argmax(-1, keepdim=True)
                return tok

            t, _ = timed(bsteps)
            sweep.append({"batch": b, "tok_s": round(b * n / t, 1), "ms_per_step": round(1000 * t / n, 2)})
            print(f"HF batch {b}: {b * n / t:.1f} tok/s", flush=True)
            del c, o, tok
            torch.cuda.empty_cache()
            b = b * 2 if b < 8 else b + 4
        except torch.cuda.OutOfMemoryError:
            torch.cuda.empty_cache()
            res["batch_sweep_stopped"] = f"out of memory at batch {b}"
            break
    res["batch_sweep"] = sweep
    best = max(sweep, key=lambda r: r["tok_s"])
    res["best_full_tok_s"], res["best_full_batch"] = best["tok_s"], best["batch"]
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--context", default="32768", help="prompt length(s), comma list; several give one row each under \"rows\"")
    ap.add_argument("--new", type=int, default=32)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-sweep", action="store_true", help="batch 1 only")
    ap.add_argument("--json", required=True)
    args = ap.parse_args()
    contexts = [int(c) for c in args.context.split(",") if c]
    res = hc.header("transformers", "cuda")
    res.update({"attention": "sdpa", "decode_configuration": "dynamic cache, eager (no torch.compile)"})
    res["copy_bandwidth_GBps"] = hc.copy_bandwidth_gbps()
    model = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.bfloat16, attn_implementation="sdpa").cuda().eval()
    with torch.no_grad():
        rows = [measure_context(model, c, args) for c in contexts]
    if len(rows) == 1:
        res.update(rows[0])
    else:
        res["rows"] = rows
    json.dump(res, open(args.json, "w"), indent=1)


if __name__ == "__main__":
    main()
