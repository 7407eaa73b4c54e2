"""A Llama in plain torch whose parameter names are transformers' LlamaForCausalLM names, and an HF-layout
writer (config.json, generation_config.json, bf16 safetensors shards <= 16 MiB + model.safetensors.index.json).
Written here rather than taken from transformers so training needs only torch; the evaluation then loads the
saved files with transformers, which checks the export."""
import json
import os
import struct
from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F

SHARD_LIMIT = 16 * 2 ** 20


@dataclass
class LlamaShape:
    vocab: int = 4096
    layers: int = 8
    hidden: int = 512
    heads: int = 8
    kv_heads: int = 4
    head_dim: int = 64
    ff: int = 1216
    context: int = 8192
    rope_theta: float = 100000.0
    eps: float = 1e-5
    # training lengths and their shares
    lengths: list = field(default_factory=lambda: [(512, 0.10), (1024, 0.15), (2048, 0.20), (4096, 0.25), (8192, 0.30)])

    @staticmethod
    def preset(name):
        """The named sizes: 'small' (the default) fits in the device tool's 64 MiB beside the tracked tree and the
        carried executables; 'base' is the first design, too large to commit beside them."""
        if name == "small":  # 7.35 M parameters, 14.7 MB of bf16 weights (one shard)
            return LlamaShape(layers=8, hidden=256, heads=8, kv_heads=4, head_dim=32, ff=768)
        if name == "base":  # 23 M parameters, 46 MB of bf16 weights (three shards)
            return LlamaShape()
        raise ValueError("unknown size preset %r (small, base)" % name)

    def parameters(self):
        """Parameter count of this shape (tied embeddings), without building the model."""
        attn = self.hidden * self.head_dim * (2 * self.heads + 2 * self.kv_heads)
        return self.vocab * self.hidden + self.hidden + self.layers * (attn + 3 * self.hidden * self.ff + 2 * self.hidden)

    @staticmethod
    def tiny():
        return LlamaShape(layers=2, hidden=64, heads=4, kv_heads=2, head_dim=16, ff=128, context=1024,
                          lengths=[(256, 0.5), (512, 0.5)])


class RmsNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        h = x.float()
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * h.to(x.dtype)


class Attention(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.s = s
        self.q_proj = nn.Linear(s.hidden, s.heads * s.head_dim, bias=False)
        self.k_proj = nn.Linear(s.hidden, s.kv_heads * s.head_dim, bias=False)
        self.v_proj = nn.Linear(s.hidden, s.kv_heads * s.head_dim, bias=False)
        self.o_proj = nn.Linear(s.heads * s.head_dim, s.hidden, bias=False)

    def forward(self, x, cos, sin):
        b, t, _ = x.shape
        s = self.s
        q = self.q_proj(x).view(b, t, s.heads, s.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, t, s.kv_heads, s.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, t, s.kv_heads, s.head_dim).transpose(1, 2)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        rep = s.heads // s.kv_heads
        k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
        if hasattr(F, "scaled_dot_product_attention"):
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:  # torch < 2.0 (the CPU smoke test)
            a = (q @ k.transpose(-1, -2)) / s.head_dim ** 0.5
            a = a.masked_fill(torch.ones(t, t, dtype=torch.bool, device=x.device).triu(1), float("-inf"))
            y = a.softmax(-1) @ v
        return self.o_proj(y.transpose(1, 2).reshape(b, t, -1))


def rope(x, cos, sin):
    h = x.shape[-1] // 2
    rot = torch.cat([-x[..., h:], x[..., :h]], -1)
    return (x * cos + rot * sin).to(x.dtype)


class Mlp(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.gate_proj = nn.Linear(s.hidden, s.ff, bias=False)
        self.up_proj = nn.Linear(s.hidden, s.ff, bias=False)
        self.down_proj = nn.Linear(s.ff, s.hidden, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.input_layernorm = RmsNorm(s.hidden, s.eps)
        self.self_attn = Attention(s)
        self.post_attention_layernorm = RmsNorm(s.hidden, s.eps)
        self.mlp = Mlp(s)

    def forward(self, x, cos, sin):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin)
        return x + self.mlp(self.post_attention_layernorm(x))


class Body(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.embed_tokens = nn.Embedding(s.vocab, s.hidden)
        self.layers = nn.ModuleList(Layer(s) for _ in range(s.layers))
        self.norm = RmsNorm(s.hidden, s.eps)


class Llama(nn.Module):
    """LlamaForCausalLM's computation (tied embeddings, default RoPE) with its parameter names."""

    def __init__(self, s):
        super().__init__()
        self.s = s
        self.model = Body(s)
        inv = 1.0 / (s.rope_theta ** (torch.arange(0, s.head_dim, 2, dtype=torch.float32) / s.head_dim))
        self.register_buffer("inv_freq", inv, persistent=False)
        for n, p in self.named_parameters():
            if p.dim() >= 2:
                std = 0.02 / (2 * s.layers) ** 0.5 if n.endswith(("o_proj.weight", "down_proj.weight")) else 0.02
                nn.init.normal_(p, 0.0, std)

    def forward(self, ids):
        t = ids.shape[1]
        pos = torch.arange(t, device=ids.device, dtype=torch.float32)
        f = torch.outer(pos, self.inv_freq)
        emb = torch.cat([f, f], -1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        x = self.model.embed_tokens(ids)
        for layer in self.model.layers:
            x = layer(x, cos, sin)
        x = self.model.norm(x)
        return x @ self.model.embed_tokens.weight.t()


def hf_config(s):
    return {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "attention_bias": False, "attention_dropout": 0.0,
        "bos_token_id": 0, "eos_token_id": 1, "pad_token_id": 2, "dtype": "bfloat16", "head_dim": s.head_dim,
        "hidden_act": "silu", "hidden_size": s.hidden, "initializer_range": 0.02, "intermediate_size": s.ff,
        "max_position_embeddings": s.context, "mlp_bias": False, "num_attention_heads": s.heads,
        "num_hidden_layers": s.layers, "num_key_value_heads": s.kv_heads, "pretraining_tp": 1,
        "rms_norm_eps": s.eps, "rope_parameters": {"rope_theta": s.rope_theta, "rope_type": "default"},
        "tie_word_embeddings": True, "use_cache": True, "vocab_size": s.vocab,
    }


def write_safetensors(path, tensors):
    """The safetensors format by hand (8-byte header length, JSON header, raw little-endian data), so the CPU
    smoke test needs no safetensors package; bf16 is written as its raw 16-bit pattern."""
    header, blobs, off = {}, [], 0
    for name, t in tensors:
        t = t.detach().to("cpu").contiguous()
        raw = t.view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        header[name] = {"dtype": {torch.bfloat16: "BF16", torch.float32: "F32"}[t.dtype], "shape": list(t.shape),
                        "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def save_hf(model, s, out):
    """bf16 weights in as few shards <= 16 MiB as a first-fit packing gives; returns the files written."""
    os.makedirs(out, exist_ok=True)
    tensors = [(n, p.detach().to(torch.bfloat16)) for n, p in model.state_dict().items()]
    shards = []
    for name, t in sorted(tensors, key=lambda x: -x[1].numel()):
        size = t.numel() * 2 + 200
        if size > SHARD_LIMIT - 4096:
            raise ValueError("%s alone is %d bytes, more than a 16 MiB shard" % (name, size))
        for sh in shards:
            if sh[0] + size <= SHARD_LIMIT - 4096:
                sh[0] += size
                sh[1].append((name, t))
                break
        else:
            shards.append([size, [(name, t)]])
    files, weight_map, total = [], {}, 0
    for i, (_, items) in enumerate(shards):
        fname = "model-%05d-of-%05d.safetensors" % (i + 1, len(shards))
        items.sort(key=lambda x: x[0])
        write_safetensors(os.path.join(out, fname), items)
        for n, t in items:
            weight_map[n] = fname
            total += t.numel() * 2
        files.append(fname)
    json.dump({"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))},
              open(os.path.join(out, "model.safetensors.index.json"), "w"), indent=2)
    json.dump(hf_config(s), open(os.path.join(out, "config.json"), "w"), indent=2)
    json.dump({"bos_token_id": 0, "eos_token_id": 1, "pad_token_id": 2}, open(os.path.join(out, "generation_config.json"), "w"), indent=2)
    return files + ["model.safetensors.index.json", "config.json", "generation_config.json"]


def read_safetensors(path):
    """Every tensor of one .safetensors file (BF16, F16 or F32), read by hand like write_safetensors writes them
    (train.py --init and tools/crosscheck read checkpoints through it)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        a, b = meta["data_offsets"]
        kind = {"BF16": (torch.int16, torch.bfloat16), "F16": (torch.float16, torch.float16),
                "F32": (torch.float32, torch.float32)}.get(meta["dtype"])
        if kind is None:
            raise ValueError("%s: tensor %s has dtype %s; only BF16, F16 and F32 are read" % (path, name, meta["dtype"]))
        raw = torch.frombuffer(bytearray(data[a:b]), dtype=kind[0]) if b > a else torch.empty(0, dtype=kind[0])
        out[name] = raw.view(kind[1]).reshape(meta["shape"])
    return out


def load_hf(model, folder):
    """Loads an HF-layout folder written by save_hf (or any with the same names and shapes) into model, in place:
    the warm start of train.py --init. Every parameter must be present with its shape."""
    files = sorted(x for x in os.listdir(folder) if x.endswith(".safetensors"))
    if not files:
        raise FileNotFoundError("%s holds no .safetensors file" % folder)
    tensors = {}
    for x in files:
        tensors.update(read_safetensors(os.path.join(folder, x)))
    own = model.state_dict()
    missing = sorted(set(own) - set(tensors))
    unexpected = sorted(set(tensors) - set(own))
    if missing or unexpected:
        raise ValueError("%s does not match the model: missing %s, unexpected %s (written for another --size?)"
                         % (folder, missing[:5], unexpected[:5]))
    for name, t in tensors.items():
        if tuple(t.shape) != tuple(own[name].shape):
            raise ValueError("%s: %s has shape %s, the model %s (another --size?)" % (folder, name, tuple(t.shape), tuple(own[name].shape)))
    model.load_state_dict({n: t.to(own[n].dtype) for n, t in tensors.items()})
    return len(tensors)
