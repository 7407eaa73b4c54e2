#!/usr/bin/env python3
"""Reference logits from Hugging Face transformers for the GPU parity test: last-token logits of fixed prompts
(token ids drawn with a fixed seed, lengths 1, 17, 300, 2000), once in bf16 (the model's dtype, SDPA attention)
and once with every weight upcast to fp32. Writes <out>/hf_reference.safetensors and <out>/hf_reference.json.

  python3 tools/gpu/hf_reference.py --model /tmp/llama3-8b-random-2l --out /tmp/hf-golden
"""
import argparse, json, os

import torch
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM

LENGTHS = [1, 17, 300, 2000]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=99)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    cfg = json.load(open(os.path.join(args.model, "config.json")))
    gen = torch.Generator().manual_seed(args.seed)
    prompts = [torch.randint(0, cfg["vocab_size"], (n,), generator=gen) for n in LENGTHS]
    tensors = {}
    for dtype, tag in ((torch.bfloat16, "bf16"), (torch.float32, "fp32")):
        model = AutoModelForCausalLM.from_pretrained(args.model, dtype=dtype, attn_implementation="sdpa").cuda().eval()
        with torch.no_grad():
            for i, ids in enumerate(prompts):
                out = model(ids[None].cuda(), logits_to_keep=1)
                tensors[f"{tag}_{i}"] = out.logits[0, -1].float().cpu().contiguous()
        del model
        torch.cuda.empty_cache()
    for i, ids in enumerate(prompts):
        tensors[f"ids_{i}"] = ids.to(torch.int64).contiguous()
    save_file(tensors, os.path.join(args.out, "hf_reference.safetensors"))
    diffs = [float((tensors[f"bf16_{i}"] - tensors[f"fp32_{i}"]).norm() / tensors[f"fp32_{i}"].norm()) for i in range(len(LENGTHS))]
    import transformers
    json.dump({"model": args.model, "lengths": LENGTHS, "transformers": transformers.__version__, "torch": torch.__version__,
               "bf16_vs_fp32_relative_l2": diffs}, open(os.path.join(args.out, "hf_reference.json"), "w"), indent=1)
    print("hf reference written; bf16 vs fp32 relative L2:", ["%.2e" % d for d in diffs])


if __name__ == "__main__":
    main()
