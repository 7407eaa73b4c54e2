"""Shared pieces of the transformers peers (tools/bench/hf_gpu_peer.py, tools/bench/hf_snapkv_peer.py): timing with
device synchronisation, the copy-bandwidth probe, the version header, memory figures, and a greedy decode loop that
passes positions explicitly (a compressed cache holds fewer entries than the tokens it has seen)."""
import time

import torch


def sync(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def timed(fn, device="cuda"):
    """(seconds, result) of fn(), with the device synchronised before and after."""
    sync(device)
    t = time.perf_counter()
    out = fn()
    sync(device)
    return time.perf_counter() - t, out


def header(peer, device):
    import transformers
    res = {"peer": peer, "transformers": transformers.__version__, "torch": torch.__version__, "device": str(device)}
    if torch.device(device).type == "cuda":
        res["gpu"] = torch.cuda.get_device_name()
    return res


def copy_bandwidth_gbps(gib=2):
    """Device-to-device copy of `gib` GiB, ten times: bytes read + written per second, in GB/s."""
    a = torch.empty(gib << 30, dtype=torch.uint8, device="cuda").fill_(1)
    b = torch.empty_like(a)
    b.copy_(a)
    t, _ = timed(lambda: [b.copy_(a) for _ in range(10)])
    del a, b
    torch.cuda.empty_cache()
    return round(2 * (gib << 30) * 10 / t / 1e9, 1)


def cache_layers(cache):
    """The per-layer (keys, values) tensors of a transformers cache (5.x `layers`, 4.x `key_cache`)."""
    if hasattr(cache, "layers"):
        return [(layer.keys, layer.values) for layer in cache.layers]
    return list(zip(cache.key_cache, cache.value_cache))


def set_layer(cache, layer, keys, values):
    """Replaces one layer's cached keys and values (the cache's length becomes keys.shape[-2])."""
    if hasattr(cache, "layers"):
        cache.layers[layer].keys, cache.layers[layer].values = keys, values
    else:
        cache.key_cache[layer], cache.value_cache[layer] = keys, values


def kv_bytes(cache):
    return sum(k.numel() * k.element_size() + v.numel() * v.element_size() for k, v in cache_layers(cache))


def reset_memory(device):
    if torch.device(device).type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def memory(device):
    """Peak bytes allocated by PyTorch since reset_memory, and bytes in use on the device (cuMemGetInfo: the CUDA
    context, the caching allocator's reserve and anything else on the GPU)."""
    if torch.device(device).type != "cuda":
        return {}
    free, total = torch.cuda.mem_get_info()
    return {"peak_allocated_bytes": torch.cuda.max_memory_allocated(), "device_used_bytes": total - free}


def step(model, cache, token, position, **kwargs):
    """One decode step of `token` ([1, 1]) at text position `position`: RoPE uses the position, while cache_position
    (where the new entry goes, and what the causal mask compares against) is the cache's own length, which a
    compressed cache keeps below the position. Returns the logits [1, vocab]."""
    dev = token.device
    out = model(token, past_key_values=cache, use_cache=True, position_ids=torch.tensor([[position]], device=dev),
                cache_position=torch.tensor([cache.get_seq_length()], device=dev), **kwargs)
    return out.logits[:, -1]


def greedy(model, cache, token, steps, position):
    """`steps` greedy decode steps from `token` at text position `position`; returns the last token."""
    for i in range(steps):
        token = step(model, cache, token, position + i).argmax(-1, keepdim=True)
    return token
