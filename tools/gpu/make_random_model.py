#!/usr/bin/env python3
"""Writes a random-weight Llama-3-8B-shaped checkpoint (bf16, sharded safetensors, fixed seed) in Hugging Face
layout, with the real Llama-3 tokenizer.json from the repository's fixtures, so that our engine and transformers
load the very same weights. Runs on the GPU machine (torch generates the weights on the GPU; ~16 GB for 32 layers).

  python3 tools/gpu/make_random_model.py --layers 2 --out /tmp/llama3-8b-random-2l
"""
import argparse, gzip, json, os, shutil, sys, time

import torch
from safetensors.torch import save_file

SHAPE = dict(hidden_size=4096, intermediate_size=14336, num_attention_heads=32, num_key_value_heads=8, head_dim=128,
             vocab_size=128256, rms_norm_eps=1e-5, max_position_embeddings=131072)
ROPE = {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
        "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--layers", type=int, default=32)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--shard-gb", type=float, default=4.0)
    ap.add_argument("--std", type=float, default=0.02)
    args = ap.parse_args()
    t0 = time.time()
    os.makedirs(args.out, exist_ok=True)
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with gzip.open(os.path.join(repo, "tests/fixtures/tokenizers/llama3.tokenizer.json.gz"), "rb") as f, \
            open(os.path.join(args.out, "tokenizer.json"), "wb") as g:
        shutil.copyfileobj(f, g)
    config = dict(architectures=["LlamaForCausalLM"], model_type="llama", num_hidden_layers=args.layers, hidden_act="silu",
                  attention_bias=False, mlp_bias=False, tie_word_embeddings=False, bos_token_id=128000,
                  eos_token_id=128001, torch_dtype="bfloat16", rope_theta=ROPE["rope_theta"],
                  rope_scaling={k: v for k, v in ROPE.items() if k != "rope_theta"}, **SHAPE)
    json.dump(config, open(os.path.join(args.out, "config.json"), "w"), indent=2)
    json.dump({"bos_token_id": 128000, "eos_token_id": [128001, 128009]}, open(os.path.join(args.out, "generation_config.json"), "w"))

    gen = torch.Generator(device="cuda").manual_seed(args.seed)
    h, ff, d = SHAPE["hidden_size"], SHAPE["intermediate_size"], SHAPE["head_dim"]
    q, kv, vocab = SHAPE["num_attention_heads"] * d, SHAPE["num_key_value_heads"] * d, SHAPE["vocab_size"]

    def rnd(*shape, std=args.std):
        return (torch.randn(*shape, generator=gen, device="cuda", dtype=torch.float32) * std).to(torch.bfloat16)

    def norm():
        return (1.0 + torch.randn(h, generator=gen, device="cuda") * 0.1).to(torch.bfloat16)

    names = [("model.embed_tokens.weight", lambda: rnd(vocab, h))]
    for i in range(args.layers):
        p = f"model.layers.{i}."
        names += [(p + "input_layernorm.weight", norm), (p + "self_attn.q_proj.weight", lambda: rnd(q, h)),
                  (p + "self_attn.k_proj.weight", lambda: rnd(kv, h)), (p + "self_attn.v_proj.weight", lambda: rnd(kv, h)),
                  (p + "self_attn.o_proj.weight", lambda: rnd(h, q)), (p + "post_attention_layernorm.weight", norm),
                  (p + "mlp.gate_proj.weight", lambda: rnd(ff, h)), (p + "mlp.up_proj.weight", lambda: rnd(ff, h)),
                  (p + "mlp.down_proj.weight", lambda: rnd(h, ff))]
    names += [("model.norm.weight", norm), ("lm_head.weight", lambda: rnd(vocab, h))]

    limit = args.shard_gb * 1e9
    shards, cur, size = [], {}, 0
    for name, make in names:
        t = make().cpu()
        if cur and size + t.numel() * 2 > limit:
            shards.append(cur)
            cur, size = {}, 0
        cur[name] = t
        size += t.numel() * 2
    shards.append(cur)
    weight_map, total = {}, 0
    for k, shard in enumerate(shards):
        fname = f"model-{k + 1:05d}-of-{len(shards):05d}.safetensors"
        save_file(shard, os.path.join(args.out, fname), metadata={"format": "pt"})
        for name, t in shard.items():
            weight_map[name] = fname
            total += t.numel() * 2
    json.dump({"metadata": {"total_size": total}, "weight_map": weight_map},
              open(os.path.join(args.out, "model.safetensors.index.json"), "w"), indent=1)
    print(f"wrote {args.layers}-layer Llama-3-8B-shaped model ({total / 1e9:.2f} GB, {len(shards)} shards) to {args.out} "
          f"in {time.time() - t0:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
