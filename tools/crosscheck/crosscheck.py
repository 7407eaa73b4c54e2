"""Independent cross-check of the C# engine's SnapKV and UNComp KV selection.

Written from the papers (SnapKV, arXiv 2404.14469; UNComp, arXiv 2410.03090 §3) on top of a transformers
Llama's weights, not from the C# code: for each prompt the C# engine dumped (`uncomp eval --record-kept`),
this script
  1. runs the prompt through its own fp32 forward pass (RMSNorm, RoPE, GQA attention, SwiGLU), keeping each
     layer's post-RoPE queries and keys and the values;
  2. scores every earlier token by the attention of the last w queries (softmax over the whole causal row, summed
     over the window rows and over the query heads of a KV head), max-pools the scores (kernel 7, stride 1,
     same length), keeps the top (B - w) plus the w window tokens — B is the unit's budget: for SnapKV the
     uniform mean, for UNComp the profile's per-head budgets scaled to the mean (group ratios kept);
  3. compares the kept positions with the C# engine's, unit by unit (exact-set agreement, overlap), and the
     C# budgets with its own;
  4. measures attention recall (uncomp-method.md §7): with the full cache, the share of the attention that the
     queries generating the reference answer put on prompt tokens which falls on the C# kept tokens;
  5. greedily decodes the answer from its compressed caches (the first token comes from the exact prefill;
     decoded tokens are appended without eviction) and compares it with the C# output and the reference.
For `uncomp` with the profile's hidden-state stages (method §3.2) the prefill itself is pruned: before a layer
whose stage keeps fewer tokens than remain, the survivors are the top tokens by the previous layer's attention
from its last 8 query rows (Σ over all query heads, no pooling; the last 8 always kept), with their original RoPE
positions; the KV selection of every later layer then runs over the survivors, and the first answer token comes
from the pruned prefill. The engine does not record the survivors; they are checked as the union of a layer's
kept positions when every capacity covers them (run the eval at budget 100 as well), and every kept set must lie
within them.

Runs with transformers on the GPU machine (fp32, on the GPU if there is one), or without transformers on
tools/evalmodel/llama.py's module (same parameter names) reading the safetensors files by hand.

  python3 tools/crosscheck/crosscheck.py --results tools/crosscheck/csharp-kept.json \
      --model models/fixture-llama --profile profiles/fixture-llama.uncomp.json --out OUT
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "evalmodel"))

# The methods' settings as the papers and docs/compression.md state them.
SETTINGS = {"snapkv": (32, 7), "pyramidkv": (32, 7), "uncomp": (8, 7), "uncomp-kv": (8, 7)}
# Hidden-state pruning scores with the previous layer's last 8 query rows whatever the KV window (method §3.2).
PRUNE_WINDOW = 8


# ---------------------------------------------------------------- model loading
def load_model(model_dir, device):
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    try:
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
        return model.to(device).eval(), cfg, "transformers"
    except ImportError:
        from llama import Llama, LlamaShape, read_safetensors
        rope = cfg.get("rope_parameters") or {}
        shape = LlamaShape(vocab=cfg["vocab_size"], layers=cfg["num_hidden_layers"], hidden=cfg["hidden_size"],
                           heads=cfg["num_attention_heads"], kv_heads=cfg["num_key_value_heads"],
                           head_dim=cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"],
                           ff=cfg["intermediate_size"], context=cfg["max_position_embeddings"],
                           rope_theta=rope.get("rope_theta", cfg.get("rope_theta", 10000.0)), eps=cfg["rms_norm_eps"])
        model = Llama(shape)
        index = os.path.join(model_dir, "model.safetensors.index.json")
        files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) else ["model.safetensors"]
        state = {}
        for f in files:
            state.update(read_safetensors(os.path.join(model_dir, f)))
        state = {k: v.float() for k, v in state.items() if k != "lm_head.weight"}
        model.load_state_dict(state)
        return model.to(device).eval(), cfg, "tools/evalmodel/llama.py (no transformers here)"


# ---------------------------------------------------------------- our own forward pass
class Forward:
    """fp32 Llama forward over the module's weights, written out (so the selection sees exactly these tensors)."""

    def __init__(self, model, cfg, device):
        self.m = model
        self.device = device
        self.h = cfg["num_attention_heads"]
        self.kv = cfg["num_key_value_heads"]
        self.d = cfg.get("head_dim") or cfg["hidden_size"] // self.h
        rope = cfg.get("rope_parameters") or {}
        theta = rope.get("rope_theta", cfg.get("rope_theta", 10000.0))
        if rope.get("rope_type", "default") != "default":
            raise SystemExit("crosscheck: only default RoPE is implemented")
        self.inv = 1.0 / (theta ** (torch.arange(0, self.d, 2, dtype=torch.float32, device=device) / self.d))
        self.body = model.model
        self.head = model.lm_head.weight if hasattr(model, "lm_head") else self.body.embed_tokens.weight

    def rope(self, x, pos):
        f = torch.outer(pos.float(), self.inv)
        cos, sin = torch.cat([f, f], -1).cos(), torch.cat([f, f], -1).sin()
        half = self.d // 2
        rot = torch.cat([-x[..., half:], x[..., :half]], -1)
        return x * cos + rot * sin

    def qkv(self, attn, hn, pos):
        t = hn.shape[0]
        q = attn.q_proj(hn).view(t, self.h, self.d).transpose(0, 1)
        k = attn.k_proj(hn).view(t, self.kv, self.d).transpose(0, 1)
        v = attn.v_proj(hn).view(t, self.kv, self.d).transpose(0, 1)
        return self.rope(q, pos), self.rope(k, pos), v

    @torch.no_grad()
    def prefill(self, ids):
        """Returns logits of the last token and per layer (q, k, v) with q/k post-RoPE: [heads, T, d]."""
        x = self.body.embed_tokens(torch.tensor(ids, device=self.device))
        pos = torch.arange(len(ids), device=self.device)
        g = self.h // self.kv
        layers = []
        mask = torch.ones(len(ids), len(ids), dtype=torch.bool, device=self.device).triu(1)
        for layer in self.body.layers:
            q, k, v = self.qkv(layer.self_attn, layer.input_layernorm(x), pos)
            kk, vv = k.repeat_interleave(g, 0), v.repeat_interleave(g, 0)
            s = (q @ kk.transpose(-1, -2)) / math.sqrt(self.d)
            y = s.masked_fill(mask, float("-inf")).softmax(-1) @ vv
            x = x + layer.self_attn.o_proj(y.transpose(0, 1).reshape(len(ids), -1))
            x = x + layer.mlp(layer.post_attention_layernorm(x))
            layers.append((q, k, v))
        return self.body.norm(x[-1]) @ self.head.t(), layers

    @torch.no_grad()
    def staged_prefill(self, ids, keep_per_layer, window=8, keep_last=True, renumber=False):
        """UNComp's hidden-state stages (uncomp-method.md §3.2), written from the method: before layer l >= 1 runs,
        if keep_per_layer[l] K is below the n tokens still in the residual stream, keep the K tokens with the
        highest score s[j] = sum over the previous layer's last `window` query rows and over ALL its query heads
        of the attention probability p[row, j] (softmax over the whole causal row of the survivors, no pooling);
        with keep_last the last `window` tokens always survive and the top K - window of the rest are added
        (equal scores: the lower index, as in select()). The residual rows and their ORIGINAL positions are
        gathered in original order (RoPE keeps absolute positions); pruning is cumulative.
        renumber=True (a control, not the method) gives the survivors positions 0..K-1 for RoPE instead.
        Returns (logits of the last token, per layer (q, k, v, positions) of the tokens the layer processed,
        {layer: surviving positions} for every layer that pruned)."""
        x = self.body.embed_tokens(torch.tensor(ids, device=self.device))
        pos = torch.arange(len(ids), device=self.device)
        g = self.h // self.kv
        layers, stages, prev = [], {}, None
        for li, layer in enumerate(self.body.layers):
            n = x.shape[0]
            keep = keep_per_layer[li] if li < len(keep_per_layer) else n
            if li > 0 and keep < n:
                forced = min(window, n, keep) if keep_last else 0
                head = prev[:n - forced].cpu().numpy()
                order = np.lexsort((np.arange(len(head)), -head))
                idx = sorted(order[:keep - forced].tolist()) + list(range(n - forced, n))
                sel = torch.tensor(idx, device=self.device)
                x, pos = x[sel], pos[sel]
                # boundary margin: lowest kept vs highest dropped score (outside the forced window); no pooling,
                # so a tie here would be a coincidence — the gap says how robust agreement on the set is
                kept_s, dropped = head[order[keep - forced - 1]], head[order[keep - forced]] if keep - forced < len(head) else float("nan")
                stages[li] = {"positions": pos.tolist(), "lowest_kept_score": float(kept_s), "highest_dropped_score": float(dropped)}
                n = keep
            rope_pos = torch.arange(n, device=self.device) if renumber else pos
            q, k, v = self.qkv(layer.self_attn, layer.input_layernorm(x), rope_pos)
            kk, vv = k.repeat_interleave(g, 0), v.repeat_interleave(g, 0)
            mask = torch.ones(n, n, dtype=torch.bool, device=self.device).triu(1)
            p = ((q @ kk.transpose(-1, -2)) / math.sqrt(self.d)).masked_fill(mask, float("-inf")).softmax(-1)
            prev = p[:, n - min(window, n):].sum((0, 1))                  # [n]: Σ heads, Σ last rows
            y = p @ vv
            x = x + layer.self_attn.o_proj(y.transpose(0, 1).reshape(n, -1))
            x = x + layer.mlp(layer.post_attention_layernorm(x))
            layers.append((q, k, v, pos.tolist()))
        return self.body.norm(x[-1]) @ self.head.t(), layers, stages

    @torch.no_grad()
    def decode(self, token, position, caches, attention=None):
        """One token; caches[layer][unit] = [K, V] of kept tokens (appended in place). With `attention` (a list),
        appends each layer's [query heads, cached tokens] probabilities."""
        x = self.body.embed_tokens(torch.tensor([token], device=self.device))
        pos = torch.tensor([position], device=self.device)
        g = self.h // self.kv
        for li, layer in enumerate(self.body.layers):
            q, k, v = self.qkv(layer.self_attn, layer.input_layernorm(x), pos)
            out, probs = [], []
            for u in range(self.kv):
                c = caches[li][u]
                c[0] = torch.cat([c[0], k[u]], 0)
                c[1] = torch.cat([c[1], v[u]], 0)
                for qh in range(u * g, (u + 1) * g):
                    p = ((q[qh] @ c[0].t()) / math.sqrt(self.d)).softmax(-1)
                    probs.append(p)
                    out.append(p @ c[1])
            if attention is not None:
                attention.append(torch.cat(probs, 0))
            x = x + layer.self_attn.o_proj(torch.cat(out, -1))
            x = x + layer.mlp(layer.post_attention_layernorm(x))
        return (self.body.norm(x[-1]) @ self.head.t())


# ---------------------------------------------------------------- selection from the paper
def window_scores(q, k, w, kv):
    """Σ over the last w query rows (softmax over the whole causal row) and over each KV head's query heads."""
    h, t, d = q.shape
    g = h // kv
    qw = q[:, t - w:]                                                # [h, w, d]
    s = (qw @ k.repeat_interleave(g, 0).transpose(-1, -2)) / math.sqrt(d)  # [h, w, t]
    rows = torch.arange(t - w, t, device=q.device)[:, None]
    s = s.masked_fill(torch.arange(t, device=q.device)[None, :] > rows, float("-inf"))
    p = s.softmax(-1).sum(1)                                         # [h, t]
    return p.view(kv, g, t).sum(1)                                   # [kv, t]


def pool(scores, w, kernel):
    t = scores.shape[0]
    prefix = scores[:t - min(w, t)]
    return F.max_pool1d(prefix[None, None], kernel, stride=1, padding=kernel // 2)[0, 0]


def select(scores, budget, w, kernel):
    t = scores.shape[0]
    if budget >= t:
        return list(range(t))
    w = min(w, t)
    if budget <= w:
        return list(range(t - budget, t))
    pooled = pool(scores, w, kernel).cpu().numpy()
    # Highest pooled score first; equal scores (max-pooling plateaus are common) by lower position, a rule the
    # papers leave open: stated here so both implementations can be compared exactly.
    order = np.lexsort((np.arange(len(pooled)), -pooled))
    return sorted(order[:budget - w].tolist()) + list(range(t - w, t))


def explain(pooled, only_csharp, only_python):
    """Why two selections differ: 'tie' when every swapped position's pooled score equals the other side's
    within 1e-5 relative (max pooling makes plateaus, so the top-k boundary often falls inside a run of equal
    scores and tie-breaking decides), else 'score' with the largest relative gap."""
    a = [float(pooled[i]) for i in only_csharp if i < len(pooled)]
    b = [float(pooled[i]) for i in only_python if i < len(pooled)]
    if not a or not b:
        return "window", 0.0
    gap = (max(a + b) - min(a + b)) / max(abs(max(a + b)), 1e-30)
    return ("tie" if gap <= 1e-5 else "score"), gap


def profile_budgets(profile, mean, layers, units):
    """UNComp: each head's budget from the profile scaled so the mean is `mean` (ratios kept)."""
    rel = [l["budgets"] for l in profile["layers"]]
    avg = sum(map(sum, rel)) / (layers * units)
    return [[b * mean / avg for b in row] for row in rel]


def stage_keep_lengths(profile, layers, prompt, scale):
    """Tokens each layer processes under the profile's stages: every layer of a stage gets the stage's keepTokens,
    scaled to the prompt as ceil(keepTokens * prompt / maxTokens) (scale="prompt", what the project documents for
    `uncomp eval`) or as stored (scale="absolute", the method's default wording). None when the profile's stages
    are off."""
    hs = profile["compression"].get("hiddenStates") or {}
    if not hs.get("enabled"):
        return None
    keep = [10 ** 9] * layers
    for st in profile["stages"]:
        k = st["keepTokens"]
        if scale == "prompt" and hs.get("maxTokens"):
            k = max(1, -(-k * prompt // hs["maxTokens"]))              # exact integer ceiling
        for l in range(max(0, st["firstLayer"]), min(layers - 1, st["lastLayer"]) + 1):
            keep[l] = k
    return keep


def answer_span(ids, tok, answer):
    """Prompt positions of the answer's tokens, every occurrence (passkey prompts state the key twice), as
    tokenized after a space or else bare; [] when the prompt does not contain it."""
    for text in (" " + answer, answer):
        a = tok.encode(text, add_special_tokens=False).ids
        hits = [p for i in range(len(ids) - len(a) + 1) if ids[i:i + len(a)] == a for p in range(i, i + len(a))]
        if hits:
            return hits
    return []


def attention_recall(fw, ids, layers, logits, reference, kept):
    """docs: uncomp-method.md §7. Feeds the reference answer with the FULL cache and measures, for the queries
    that generate each answer token, the share of their attention on prompt tokens that falls on the C# engine's
    kept tokens; mean over answer tokens and query heads, per layer (and overall)."""
    t = len(ids)
    caches = [[[k[u].clone(), v[u].clone()] for u in range(fw.kv)] for (_, k, v) in layers]
    g = fw.h // fw.kv
    per_layer = np.zeros(len(layers))
    steps = 0
    # the first answer token is predicted by the prompt's last query: its attention is the prefill's last row
    for i, token in enumerate([ids[-1]] + reference[:-1]):
        att = []
        if i == 0:
            for (q, k, _) in layers:
                qq = q[:, -1:]                                              # [h, 1, d]
                p = ((qq @ k.repeat_interleave(g, 0).transpose(-1, -2)) / math.sqrt(fw.d)).softmax(-1)[:, 0]
                att.append(p)
        else:
            fw.decode(token, t + i - 1, caches, att)
        for li, p in enumerate(att):
            prompt = p[:, :t]
            total = prompt.sum(-1).clamp_min(1e-30)
            share = torch.stack([prompt[h, kept[li][h // g]].sum() for h in range(fw.h)]) / total
            per_layer[li] += float(share.mean())
        steps += 1
    per_layer /= max(1, steps)
    return {"mean": round(float(per_layer.mean()), 4), "per_layer": [round(float(x), 4) for x in per_layer]}


# ---------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", required=True, help="results.json of `uncomp eval --record-kept`")
    ap.add_argument("--model", required=True)
    ap.add_argument("--profile", help="the profile the C# uncomp methods used (budget check)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--max-new", type=int, default=12)
    ap.add_argument("--limit", type=int, default=0, help="records at most (0 = all)")
    ap.add_argument("--stage-scale", choices=("prompt", "absolute"), default="prompt",
                    help="uncomp's stage keep lengths: scaled to the prompt (ceil(keep * L / maxTokens), as uncomp eval does) or as stored")
    ap.add_argument("--stage-positions", choices=("original", "renumbered"), default="original",
                    help="RoPE positions of the survivors (the method: original; renumbered is a control that should disagree)")
    ap.add_argument("--no-recall", action="store_true", help="skip the attention-recall measurement (saves most of the time)")
    args = ap.parse_args()
    t0 = time.time()
    os.makedirs(args.out, exist_ok=True)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.backends.cuda.matmul.allow_tf32 = False
    model, cfg, engine = load_model(args.model, device)
    fw = Forward(model, cfg, device)
    sys.path.insert(0, os.path.join(HERE, "..", "evalmodel"))
    import minibpe
    tok = minibpe.load(os.path.join(args.model, "tokenizer.json"))
    profile = json.load(open(args.profile)) if args.profile else None
    report = json.load(open(args.results))
    records = [r for r in report["records"] if r.get("keptPositions") and r["method"] in SETTINGS]
    if args.limit:
        records = records[:args.limit]
    if not records:
        raise SystemExit("%s: no records with keptPositions for %s; run uncomp eval --record-kept" % (args.results, ", ".join(SETTINGS)))
    print("engine: %s on %s; %d records" % (engine, device, len(records)), flush=True)
    rows, cache, staged = [], {}, {}
    for r in records:
        ids = r["promptIds"]
        key = tuple(ids)
        w, kernel = SETTINGS[r["method"]]
        stage_keep = (stage_keep_lengths(profile, len(fw.body.layers), len(ids), args.stage_scale)
                      if profile and r["method"] == "uncomp" else None)
        logits = layers = None
        if stage_keep is None or not args.no_recall:        # the exact (unpruned) prefill
            if key not in cache:
                cache = {key: fw.prefill(ids)}
            logits, layers = cache[key]
        stages, stage_info = {}, None
        if stage_keep is not None:
            skey = (key, "stages")
            if skey not in staged:
                staged.clear()
                staged[skey] = fw.staged_prefill(ids, stage_keep, PRUNE_WINDOW, profile["compression"]["hiddenStates"].get("keepWindow", True),
                                                   renumber=args.stage_positions == "renumbered")
            logits_used, run_layers, stages = staged[skey]
        else:
            logits_used, run_layers = logits, [(q, k, v, list(range(len(ids)))) for (q, k, v) in layers]
        csharp = r["keptPositions"]
        nl, nu = len(csharp), len(csharp[0])
        if nu != fw.kv:
            raise SystemExit("record %s/%s uses %d units per layer; only KV-head units are cross-checked" % (r["task"], r["method"], nu))
        mean = r["meanTokensPerUnit"]
        expected = profile_budgets(profile, mean, nl, nu) if profile and r["method"].startswith("uncomp") else None
        exact = overlap = units = budget_ok = 0
        diffs, reasons, max_gap = [], {}, 0.0
        caches = []
        for li, (q, k, v, positions) in enumerate(run_layers):
            scores = window_scores(q, k, w, fw.kv)
            row = []
            for u in range(nu):
                cs = csharp[li][u]
                budget = len(cs)                       # the C# capacity after prefill
                if expected is not None and abs(min(expected[li][u], len(positions)) - budget) <= 1.0 + 1e-9:
                    budget_ok += 1
                sel = select(scores[u], budget, w, kernel)   # indices into the tokens this layer processed
                ours = [positions[i] for i in sel]
                units += 1
                same = ours == cs
                exact += same
                inter = len(set(ours) & set(cs))
                overlap += inter / max(1, len(cs))
                if not same:
                    oc, op = sorted(set(cs) - set(ours)), sorted(set(ours) - set(cs))
                    at = {p: i for i, p in enumerate(positions)}
                    if any(p not in at for p in oc):
                        reason, gap = "stage", 0.0     # C# kept a token our stages pruned before this layer
                    else:
                        reason, gap = explain(pool(scores[u], w, kernel), [at[p] for p in oc], [at[p] for p in op])
                    reasons[reason] = reasons.get(reason, 0) + 1
                    max_gap = max(max_gap, gap)
                    diffs.append({"layer": li, "unit": u, "budget": budget, "reason": reason, "relative_gap": gap,
                                  "only_csharp": oc[:8], "only_python": op[:8]})
                row.append([k[u][sel].clone(), v[u][sel].clone()])
            caches.append(row)
        # greedy answer from our compressed caches (first token from the exact prefill)
        # stage rows: the C# engine does not record the survivors themselves; every unit's kept positions must lie
        # among them, and when every capacity covers them (budget 100 %) the union over a layer's units IS them
        if stage_keep is not None:
            stage_info = {"keep_per_layer": [x if x < 10 ** 9 else None for x in stage_keep], "layers": {}}
            span = answer_span(ids, tok, r["answer"])
            stage_info["answer_span"] = span
            for li, (_, _, _, positions) in enumerate(run_layers):
                if li == 0 or len(positions) == len(run_layers[li - 1][3]):
                    continue
                ours_rows = set(positions)
                b = stages[li]
                union = set().union(*map(set, csharp[li]))
                covers = all(len(c) >= len(positions) for c in csharp[li])
                stage_info["layers"][str(li)] = {
                    "rows": len(positions), "csharp_units_within_our_rows": sum(set(c) <= ours_rows for c in csharp[li]),
                    "units": nu, "csharp_capacities_cover_rows": covers,
                    "rows_identical": (union == ours_rows) if covers else None,
                    "boundary_relative_gap": (b["lowest_kept_score"] - b["highest_dropped_score"]) / max(abs(b["lowest_kept_score"]), 1e-30),
                    "answer_tokens_surviving": (sum(p in ours_rows for p in span) if span else None),
                    "only_csharp": sorted(union - ours_rows)[:8], "only_python": sorted(ours_rows - union)[:8] if covers else []}
        out, nxt, pos = [], int(logits_used.argmax()), len(ids)
        for _ in range(args.max_new):
            if nxt == 1:
                break
            out.append(nxt)
            text = tok.decode(out, skip_special_tokens=True)
            if "\n" in text.lstrip():
                break
            nxt = int(fw.decode(nxt, pos, caches).argmax())
            pos += 1
        text = tok.decode(out, skip_special_tokens=True)
        recall = (None if args.no_recall else
                  attention_recall(fw, ids, layers, logits, tok.encode(" " + r["answer"], add_special_tokens=False).ids, csharp))
        row = {"task": r["task"], "index": r["index"], "method": r["method"], "budget": r["budget"],
               "prompt_tokens": len(ids), "units": units, "units_identical": exact,
               "mean_overlap": round(overlap / units, 4), "budgets_match_profile": (budget_ok if expected else None),
               "answer": r["answer"], "csharp_output": r["output"], "python_output": text,
               "same_output": text.split("\n")[0].strip() == r["output"].split("\n")[0].strip(),
               "csharp_correct": r["correct"], "attention_recall": recall, "difference_reasons": reasons, "max_relative_gap": max_gap,
               "stages": stage_info, "differences": diffs[:6]}
        rows.append(row)
        print("%-9s #%-3d %-9s %4.0f%%  units identical %3d/%3d  overlap %.3f  differences %s  outputs %s  (C# %r, py %r)" % (
            r["task"], r["index"], r["method"], r["budget"] * 100, exact, units, overlap / units, reasons or "-",
            "same" if row["same_output"] else "DIFFER", r["output"][:16], text[:16]), flush=True)
        if stage_info:
            for li, v in stage_info["layers"].items():
                print("          stage before layer %s: %d rows; C# units within them %d/%d; rows identical %s; boundary gap %.2g; answer tokens surviving %s/%d" % (
                    li, v["rows"], v["csharp_units_within_our_rows"], v["units"], v["rows_identical"], v["boundary_relative_gap"],
                    v["answer_tokens_surviving"], len(stage_info["answer_span"])), flush=True)
    summary = {}
    for m in sorted({x["method"] for x in rows}):
        xs = [x for x in rows if x["method"] == m]
        summary[m] = {"records": len(xs), "units_identical": sum(x["units_identical"] for x in xs),
                      "units": sum(x["units"] for x in xs),
                      "unit_agreement": round(sum(x["units_identical"] for x in xs) / sum(x["units"] for x in xs), 4),
                      "mean_overlap": round(sum(x["mean_overlap"] for x in xs) / len(xs), 4),
                      "same_output": round(sum(x["same_output"] for x in xs) / len(xs), 4),
                      "attention_recall": (None if args.no_recall else round(sum(x["attention_recall"]["mean"] for x in xs) / len(xs), 4)),
                      "differing_units_by_reason": {k: sum(x["difference_reasons"].get(k, 0) for x in xs) for k in ("tie", "score", "window", "stage")},
                      "max_relative_score_gap": max(x["max_relative_gap"] for x in xs)}
        st = [x["stages"] for x in xs if x["stages"]]
        if st:
            ls = [v for s_ in st for v in s_["layers"].values()]
            summary[m]["stage_layers_pruned"] = len(ls)
            summary[m]["stage_rows_identical"] = "%d/%d" % (sum(v["rows_identical"] is True for v in ls), sum(v["rows_identical"] is not None for v in ls))
            summary[m]["stage_units_within_rows"] = "%d/%d" % (sum(v["csharp_units_within_our_rows"] for v in ls), sum(v["units"] for v in ls))
            summary[m]["stage_min_boundary_relative_gap"] = min(v["boundary_relative_gap"] for v in ls)
            summary[m]["stage_answer_tokens_surviving"] = "%d/%d" % (sum(v["answer_tokens_surviving"] or 0 for v in ls),
                                                                    sum(len(s_["answer_span"]) for s_ in st for _ in s_["layers"]))
        if xs[0]["budgets_match_profile"] is not None:
            summary[m]["budgets_match_profile"] = "%d/%d" % (sum(x["budgets_match_profile"] for x in xs), summary[m]["units"])
    json.dump({"engine": engine, "device": str(device), "results": args.results, "summary": summary, "records": rows,
               "seconds": round(time.time() - t0, 1)}, open(os.path.join(args.out, "crosscheck.json"), "w"), indent=1)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
