#!/usr/bin/env python3
"""The compressed-cache transformers peer of `uncomp bench --device cuda`: a SnapKV-style compression of the
transformers cache, written here because NVIDIA kvpress is not installable on the GPU machine.

During the prefill, as each attention layer finishes, its cached keys and values are cut to C tokens per KV head
(the same C for every head and layer, so the cache stays a rectangular DynamicCache), the way kvpress's
SnapKVPress does it, with these choices:
  * observation window: the last w = 8 prompt tokens; their queries are recomputed from the layer's input
    (q_proj, RoPE at their positions) and scored against all cached keys with a causal softmax;
  * a key's score: the window's attention probabilities summed over the w queries and over the query heads of
    the KV head's group (GQA);
  * scores of the prefix (all but the window) max-pooled with kernel 7 (stride 1, same length), the top C − w
    prefix tokens kept in their original order, the window always kept;
  * decoding continues with RoPE at the true text positions (position_ids), while the cache's shorter length
    gives cache_position.
The prefill's attention itself sees the full prompt (as in SnapKV), so the prefill time includes the selection.

Per context: the full-cache prefill time, then per budget (percent of the context, C = ceil(budget · context)):
prefill time with compression (best of 2), batch-1 greedy decode tok/s (dynamic cache, eager PyTorch, SDPA
attention, as tools/bench/hf_gpu_peer.py), KV bytes, peak memory.

  python3 tools/bench/hf_snapkv_peer.py --model DIR --context 32768 --budgets 4.74,2,5,10,25 --json out.json
  python3 tools/bench/hf_snapkv_peer.py --tiny --json tiny.json   # checks on a 2-layer random model (CPU or GPU)
"""
import argparse, functools, json, math, os, sys, tempfile

import torch
import torch.nn.functional as F
from transformers import AutoModelForCausalLM, DynamicCache

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_common as hc  # noqa: E402


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class SnapKV:
    """Forward hooks on every attention module of a Llama-family model. While armed with a cache and a budget, each
    layer's cached keys/values are compressed right after the layer's prefill attention."""

    def __init__(self, model, window=8, kernel=7):
        self.window, self.kernel = window, kernel
        self.cache, self.budget = None, None
        self.keep_details = False  # tiny-mode checks: scores and kept indices per layer
        self.scores, self.kept = {}, {}
        self._queries = {}
        self.config = model.config
        for i, layer in enumerate(model.model.layers):
            layer.self_attn.register_forward_pre_hook(functools.partial(self._before, i), with_kwargs=True)
            layer.self_attn.register_forward_hook(functools.partial(self._after, i), with_kwargs=True)

    def arm(self, cache, budget):
        """Compress into `budget` tokens per KV head (None: score only) on the next forward pass that fills `cache`."""
        self.cache, self.budget = cache, budget

    def disarm(self):
        self.cache, self.budget = None, None
        self._queries.clear()

    def _head_dim(self, module):
        return getattr(module, "head_dim", None) or getattr(self.config, "head_dim", None) or \
            self.config.hidden_size // self.config.num_attention_heads

    def _before(self, layer, module, args, kwargs):
        hidden = kwargs.get("hidden_states", args[0] if args else None)
        if self.cache is None or hidden is None or hidden.shape[1] <= self.window:
            return None
        pe = kwargs.get("position_embeddings", args[1] if len(args) > 1 else None)
        if pe is None:
            raise RuntimeError("the attention module got no position_embeddings (cos, sin); this transformers version is not supported")
        w, d = self.window, self._head_dim(module)
        cos, sin = pe[0][:, -w:].unsqueeze(1), pe[1][:, -w:].unsqueeze(1)
        q = module.q_proj(hidden[:, -w:]).view(hidden.shape[0], w, -1, d).transpose(1, 2)
        self._queries[layer] = q * cos + rotate_half(q) * sin
        return None

    def _after(self, layer, module, args, kwargs, output):
        q = self._queries.pop(layer, None)
        if q is None:
            return None
        keys, values = hc.cache_layers(self.cache)[layer]
        scaling = getattr(module, "scaling", None) or self._head_dim(module) ** -0.5
        scores = self.observation_scores(q, keys, scaling)
        if self.keep_details:
            self.scores[layer] = scores
        if self.budget is not None and self.budget < keys.shape[-2]:
            idx = self.select(scores, self.budget)
            if self.keep_details:
                self.kept[layer] = idx
            gather = idx.unsqueeze(-1).expand(-1, -1, -1, keys.shape[-1])
            hc.set_layer(self.cache, layer, keys.gather(2, gather), values.gather(2, gather))
        return None

    def observation_scores(self, q, keys, scaling):
        """[batch, kv_heads, n]: the window queries' causal attention probabilities on every cached key, summed over
        the window and over each KV head's query group. q: [batch, heads, w, d] after RoPE; keys: [batch, kv, n, d]."""
        b, heads, w, d = q.shape
        kv, n = keys.shape[1], keys.shape[2]
        group = heads // kv
        # Query head h belongs to KV head h // group (transformers' repeat_kv): rows ordered (group member, window row).
        logits = torch.matmul(q.reshape(b, kv, group * w, d).float(), keys.float().transpose(-1, -2)) * scaling
        positions = torch.arange(n, device=keys.device)
        future = positions[None, :] > (n - w + torch.arange(w, device=keys.device))[:, None]  # [w, n]
        logits.masked_fill_(future.repeat(group, 1), float("-inf"))
        return torch.softmax(logits, dim=-1).sum(dim=2)

    def select(self, scores, budget):
        """[batch, kv, budget] indices, ascending: the window, and the top budget − w prefix tokens by max-pooled score."""
        n, w = scores.shape[-1], self.window
        window = torch.arange(n - w, n, device=scores.device).expand(scores.shape[0], scores.shape[1], w)
        if budget <= w:
            return window[..., w - budget:]
        pooled = F.max_pool1d(scores[..., : n - w], kernel_size=self.kernel, padding=self.kernel // 2, stride=1)
        top = pooled.topk(budget - w, dim=-1).indices.sort(dim=-1).values
        return torch.cat((top, window), dim=-1)


def prefill(model, ids, hook, budget):
    cache = DynamicCache()
    hook.arm(cache, budget)
    try:
        out = model(ids, past_key_values=cache, use_cache=True, logits_to_keep=1)
    finally:
        hook.disarm()
    return cache, out.logits[:, -1].argmax(-1, keepdim=True)


def run_context(model, hook, context, args, dev):
    gen = torch.Generator().manual_seed(args.seed)
    ids = torch.randint(0, model.config.vocab_size, (1, context), generator=gen).to(dev)
    row = {"context": context}
    model(ids[:, : min(256, context)], logits_to_keep=1)  # warm-up
    row["prefill_full_s"] = round(min(hc.timed(lambda: model(ids, use_cache=True, logits_to_keep=1), dev)[0] for _ in range(2)), 4)
    print(f"SnapKV peer {context}: full-cache prefill {row['prefill_full_s']:.3f} s", flush=True)
    row["budgets"] = []
    for percent in args.budgets:
        budget = max(args.window, math.ceil(percent / 100 * context))
        hc.reset_memory(dev)
        best, cache = float("inf"), None
        for _ in range(2):
            cache = None
            t, (cache, token) = hc.timed(lambda: prefill(model, ids, hook, budget), dev)
            best = min(best, t)
        kept = cache.get_seq_length()
        rec = {"budget_percent": percent, "kept_tokens_per_head": kept, "kv_bytes": hc.kv_bytes(cache), "prefill_s": round(best, 4)}
        token = hc.greedy(model, cache, token, 3, context)  # warm-up steps
        t, _ = hc.timed(lambda: hc.greedy(model, cache, token, args.new, context + 3), dev)
        rec["decode_b1_tok_s"] = round(args.new / t, 2)
        rec.update(hc.memory(dev))
        row["budgets"].append(rec)
        print(f"SnapKV peer {context}, {percent} % ({kept} tokens per head): prefill {best:.3f} s, decode batch 1 "
              f"{rec['decode_b1_tok_s']:.1f} tok/s", flush=True)
        del cache
    return row


def measure(args, model_dir, dev, dtype):
    res = hc.header("transformers + SnapKV-style cache compression (tools/bench/hf_snapkv_peer.py)", dev)
    res.update({"attention": "sdpa", "dtype": str(dtype).replace("torch.", ""),
                "decode_configuration": "dynamic cache, eager (no torch.compile), batch 1, greedy",
                "method": {"window": args.window, "pooling": f"max, kernel {args.kernel}", "scope": "per layer and KV head, same budget everywhere",
                           "score": "window queries' causal softmax summed over the window and the query group",
                           "when": "during the prefill, after each layer's attention (prefill attention sees the full prompt)"}})
    if torch.device(dev).type == "cuda":
        res["copy_bandwidth_GBps"] = hc.copy_bandwidth_gbps()
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype, attn_implementation="sdpa").to(dev).eval()
    hook = SnapKV(model, args.window, args.kernel)
    res["rows"] = [run_context(model, hook, c, args, dev) for c in args.context]
    return res


def tiny_checks(model_dir, dev):
    """On a 2-layer random model in fp32 with eager attention: (1) the observation scores equal transformers' own
    attention probabilities of the window rows; (2) the selection keeps the window and the best pooled prefix
    tokens in order, and the cache holds exactly those keys; (3) a decode step after removing cache entries, with
    RoPE at the true position, equals the full cache with those keys masked out."""
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="eager").to(dev).eval()
    hook = SnapKV(model)
    hook.keep_details = True
    n, w, budget = 200, hook.window, 40
    ids = torch.randint(0, model.config.vocab_size, (1, n), generator=torch.Generator().manual_seed(3)).to(dev)
    full = DynamicCache()
    hook.arm(full, None)
    out = model(ids, past_key_values=full, use_cache=True, output_attentions=True)
    hook.disarm()
    kv = model.config.num_key_value_heads
    worst = 0.0
    for layer, att in enumerate(out.attentions):
        heads = att.shape[1]
        want = att[0, :, -w:, :].reshape(kv, heads // kv, w, n).sum(dim=(1, 2))
        worst = max(worst, (want - hook.scores[layer][0]).abs().max().item())
    assert worst < 1e-4, f"observation scores differ from transformers' attention probabilities by {worst}"
    print(f"check 1: observation scores = transformers' eager attention probabilities (max difference {worst:.2e})")

    compressed = DynamicCache()
    hook.arm(compressed, budget)
    model(ids, past_key_values=compressed, use_cache=True)
    hook.disarm()
    for layer, (keys, values) in enumerate(hc.cache_layers(compressed)):
        idx = hook.kept[layer][0]
        assert keys.shape[-2] == budget, f"layer {layer} keeps {keys.shape[-2]} tokens, budget {budget}"
        full_keys, full_values = hc.cache_layers(full)[layer]
        for h in range(kv):
            kept = idx[h].tolist()
            assert kept == sorted(kept) and kept[-w:] == list(range(n - w, n)), f"layer {layer} head {h}: window or order wrong"
            pooled = F.max_pool1d(hook.scores[layer][0, h, : n - w][None], 7, 1, 3)[0]
            mask = torch.zeros(n - w, dtype=torch.bool, device=dev)
            mask[kept[:-w]] = True
            assert pooled[mask].min() >= pooled[~mask].max(), f"layer {layer} head {h}: a dropped token outscored a kept one"
            assert torch.equal(keys[0, h], full_keys[0, h, kept]) and torch.equal(values[0, h], full_values[0, h, kept])
    print(f"check 2: {budget} of {n} tokens kept per head: window kept, best pooled prefix scores kept in order, cache = those keys")

    drop = [0, 5, 17]
    keep = [i for i in range(n) if i not in drop]
    cut = DynamicCache()
    for layer, (keys, values) in enumerate(hc.cache_layers(full)):
        cut.update(keys[:, :, keep].clone(), values[:, :, keep].clone(), layer)
    token = out.logits[:, -1].argmax(-1, keepdim=True)
    mask = torch.ones(1, n + 1, dtype=torch.long, device=dev)
    mask[0, drop] = 0
    want = hc.step(model, full, token, n, attention_mask=mask)
    got = hc.step(model, cut, token, n)
    diff = (want - got).abs().max().item()
    assert diff < 1e-4, f"decode after removing cache entries differs from the masked full cache by {diff}"
    print(f"check 3: decode with {len(drop)} entries removed = full cache with them masked (max logit difference {diff:.2e})")


def make_tiny(directory):
    from transformers import LlamaConfig, LlamaForCausalLM
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=512, hidden_size=128, intermediate_size=256, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=2, head_dim=32, max_position_embeddings=4096, initializer_range=0.2)
    LlamaForCausalLM(config).save_pretrained(directory)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", help="model directory (HF layout); not with --tiny")
    ap.add_argument("--context", default="32768", help="prompt length(s), comma list")
    ap.add_argument("--budgets", default="4.74,2,5,10,25", help="kept tokens per KV head, percent of the context, comma list")
    ap.add_argument("--new", type=int, default=32, help="timed decode steps")
    ap.add_argument("--window", type=int, default=8)
    ap.add_argument("--kernel", type=int, default=7)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--tiny", action="store_true", help="checks and a short timed run on a 2-layer random model")
    ap.add_argument("--json", required=True)
    args = ap.parse_args()
    args.context = [int(c) for c in args.context.split(",") if c]
    args.budgets = [float(b) for b in args.budgets.split(",") if b]
    if args.tiny == bool(args.model):
        ap.error("pass --model DIR or --tiny")
    with torch.inference_mode():
        if args.tiny:
            directory = tempfile.mkdtemp(prefix="snapkv-tiny-")
            make_tiny(directory)
            tiny_checks(directory, args.device)
            args.context, args.new = [256, 320], 8
            dtype = torch.bfloat16 if torch.device(args.device).type == "cuda" else torch.float32
            res = measure(args, directory, args.device, dtype)
            res["tiny"] = True
        else:
            res = measure(args, args.model, args.device, torch.bfloat16)
    with open(args.json, "w") as f:
        json.dump(res, f, indent=1)
    print(f"results: {args.json}")


if __name__ == "__main__":
    main()
