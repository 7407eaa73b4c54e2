#!/usr/bin/env python3
"""Decode-attention kernel lab: many kernel variants measured in one GPU-machine call, without .NET.

Compiles the engine's own sources (src/Runtime/Gpu/Kernels/common.cuh + decode_attention.cu) with NVRTC, the
way `KernelCompiler` does, once per variant of the experiment macros (DA_UNROLL: tokens per lane in flight;
DA_MIN_BLOCKS: a blocks-per-SM launch bound), checks each variant against a float32 torch reference on a small
ragged case, and times the batch-1 decode-attention step of a Llama-3-8B-shaped model (32 layers, 8 KV heads,
32 query heads, head_dim 128) at a 32K-token context for several chunk sizes (tokens per block): partial kernel and
combine separately, in µs per layer and GB/s of K and V read. Also prints registers, spilled bytes and resident
blocks per SM of each variant (cuFuncGetAttribute, cuOccupancyMaxActiveBlocksPerMultiprocessor).

With --prefill it measures the causal flash prefill kernel instead (prefill_attention.cu, -DFW_BN key-tile
variants) at one 32K-token layer of 32 query / 8 KV heads against torch's scaled_dot_product_attention (bf16,
causal, GQA) in the same process: µs per layer, TFLOP/s and the ratio to torch.

With --wgmma it checks the Hopper prefill kernel (prefill_attention_wgmma.cu, sm_90a: warpgroup MMA, Vᵀ written by
transpose_v_d128) against float32 SDPA and its log-sum-exp on small causal prompts, then times one 32K layer (the
transpose included) beside torch SDPA and the mma.sync kernel, per --wgmma-variants WARPGROUPSxKEYTILE.

With --accuracy it checks both decode kernels against a float32 softmax at head dims 32/64/128 × groups 1/4 × chunks
64–2048, plain and peaked (--q-scale) attention, and the two kernels against each other (no timing).

On the GPU machine (torch with CUDA, libnvrtc in /usr/local/cuda/lib64):
    python3 tools/gpu/kernel_lab.py --json $OUT/kernel-lab.json
    python3 tools/gpu/kernel_lab.py --prefill --json $OUT/prefill-lab.json
    python3 tools/gpu/kernel_lab.py --accuracy --json $OUT/accuracy.json
    python3 tools/gpu/kernel_lab.py --gemv --json $OUT/gemv-lab.json      (the batch-1 GEMV's k split)
    python3 tools/gpu/kernel_lab.py --wgmma --json $OUT/wgmma-lab.json    (the Hopper prefill kernel)
Kernels: --kernels onepass,mma (decode_attention_partial_d128_g4 on CUDA cores, decode_attention_mma_d128_g4 on
tensor cores, -DDA_MMA_UNROLL 16-token groups per warp in flight: --mma-unrolls 1,2,4).
Knobs: --unrolls 2,4,8  --min-blocks 0,2,3,4 (0 = no bound)  --chunks 128,256,512,1024,2048  --context 32768
       --tiles 32,64 (prefill key tiles)
"""
import argparse
import ctypes
import glob
import json
import math
import os
import sys
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KERNELS = os.path.join(ROOT, "src", "Runtime", "Gpu", "Kernels")


def load_library(names):
    tried = []
    for name in names:
        for path in [name] + sorted(glob.glob(os.path.join("/usr/local/cuda/lib64", name + "*"))):
            try:
                return ctypes.CDLL(path)
            except OSError:
                tried.append(path)
    sys.exit("could not load any of: " + ", ".join(tried))


nvrtc = load_library(["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"])
cuda = load_library(["libcuda.so.1"])
vp = ctypes.c_void_p


def check(result, what):
    if result != 0:
        if what.startswith("nvrtc"):
            nvrtc.nvrtcGetErrorString.restype = ctypes.c_char_p
            message = nvrtc.nvrtcGetErrorString(result).decode()
        else:
            text = ctypes.c_char_p()
            cuda.cuGetErrorString(result, ctypes.byref(text))
            message = text.value.decode() if text.value else "?"
        raise RuntimeError(f"{what} failed: {result} ({message})")


def compile_cubin(source, options):
    prog = vp()
    check(nvrtc.nvrtcCreateProgram(ctypes.byref(prog), source.encode(), b"uncomp_lab.cu", 0, None, None), "nvrtcCreateProgram")
    opts = (ctypes.c_char_p * len(options))(*[o.encode() for o in options])
    result = nvrtc.nvrtcCompileProgram(prog, len(options), opts)
    size = ctypes.c_size_t()
    nvrtc.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
    log = ctypes.create_string_buffer(size.value)
    nvrtc.nvrtcGetProgramLog(prog, log)
    if result != 0:
        raise RuntimeError("NVRTC (" + " ".join(options) + "):\n" + log.value.decode(errors="replace"))
    check(nvrtc.nvrtcGetCUBINSize(prog, ctypes.byref(size)), "nvrtcGetCUBINSize")
    cubin = ctypes.create_string_buffer(size.value)
    check(nvrtc.nvrtcGetCUBIN(prog, cubin), "nvrtcGetCUBIN")
    nvrtc.nvrtcDestroyProgram(ctypes.byref(prog))
    return cubin


class Module:
    def __init__(self, cubin):
        self.handle = vp()
        check(cuda.cuModuleLoadData(ctypes.byref(self.handle), cubin), "cuModuleLoadData")

    def function(self, name, max_dynamic_shared=0):
        f = vp()
        check(cuda.cuModuleGetFunction(ctypes.byref(f), self.handle, name.encode()), "cuModuleGetFunction " + name)
        if max_dynamic_shared:
            check(cuda.cuFuncSetAttribute(f, 8, max_dynamic_shared), "cuFuncSetAttribute")  # MAX_DYNAMIC_SHARED_SIZE_BYTES
        return f

    def unload(self):
        cuda.cuModuleUnload(self.handle)


def attribute(f, code):
    v = ctypes.c_int()
    check(cuda.cuFuncGetAttribute(ctypes.byref(v), code, f), "cuFuncGetAttribute")
    return v.value


def occupancy(f, threads, shared):
    v = ctypes.c_int()
    check(cuda.cuOccupancyMaxActiveBlocksPerMultiprocessor(ctypes.byref(v), f, threads, ctypes.c_size_t(shared)), "cuOccupancy")
    return v.value


def launch(f, grid, block, shared, args):
    """args: list of (ctype instance) in kernel order."""
    holders = [ctypes.cast(ctypes.pointer(a), vp) for a in args]
    params = (vp * len(args))(*holders)
    stream = vp(torch.cuda.current_stream().cuda_stream)
    check(cuda.cuLaunchKernel(f, grid[0], grid[1], grid[2], block[0], 1, 1, shared, stream, params, None), "cuLaunchKernel")


def ptr(t):
    return vp(t.data_ptr())


class Case:
    """A ragged arena of `layers` × `units` caches of `cap` slots, each with `len` cached tokens (same per unit here
    unless `lengths` is given), batch 1 (slot 0), and the step's own q / new k / new v."""

    def __init__(self, layers, units, heads, d, cap, lengths, seed=0, q_scale=1.0):
        g = torch.Generator(device="cuda").manual_seed(seed)
        self.layers, self.units, self.heads, self.d, self.cap = layers, units, heads, d, cap
        self.G = heads // units
        total = layers * units
        self.k = (torch.randn(total * cap * d, device="cuda", generator=g) * 0.5).to(torch.bfloat16)
        self.v = torch.randn(total * cap * d, device="cuda", generator=g).to(torch.bfloat16)
        self.offsets = torch.arange(total, device="cuda", dtype=torch.int64) * cap * d
        self.lengths = torch.tensor(lengths, device="cuda", dtype=torch.int32)
        self.slots = torch.zeros(1, device="cuda", dtype=torch.int32)
        self.q = (torch.randn(heads * d, device="cuda", generator=g) * q_scale).to(torch.bfloat16)
        self.nk = (torch.randn(units * d, device="cuda", generator=g) * 0.5).to(torch.bfloat16)
        self.nv = torch.randn(units * d, device="cuda", generator=g).to(torch.bfloat16)
        self.out = torch.zeros(heads * d, device="cuda", dtype=torch.bfloat16)
        self.scale_log2 = (1 / math.sqrt(d)) / math.log(2)

    def geometry(self, chunk):
        tokens = self.cap + 1
        return (tokens + chunk - 1) // chunk

    def run(self, partial, combine, layer, chunk, part_o, part_ml, do_combine=True):
        splits = self.geometry(chunk)
        self.last_splits = splits
        shared = 4 * 4 * pow2(self.G) * (self.d + 2)
        launch(partial, (splits, self.units, 1), (128,), shared, [
            ptr(self.q), ptr(self.nk), ptr(self.nv), ptr(self.k), ptr(self.v), ptr(self.offsets), ptr(self.lengths),
            ptr(self.slots), ptr(part_o), ptr(part_ml), ctypes.c_longlong(self.layers * self.units * self.cap * self.d),
            ctypes.c_int(self.layers * self.units), ctypes.c_int(layer * self.units), ctypes.c_int(self.heads),
            ctypes.c_int(self.units), ctypes.c_int(self.G), ctypes.c_int(1), ctypes.c_int(chunk), ctypes.c_float(self.scale_log2),
            vp(0), vp(0), vp(0), vp(0), vp(0), vp(0), vp(0)])   # no fused RoPE
        if do_combine:
            launch(combine, (self.heads, 1, 1), (256,), (splits + 1024) * 4, [
                ptr(part_o), ptr(part_ml), ptr(self.out), ctypes.c_int(self.heads), ctypes.c_int(splits), ctypes.c_int(self.d)])

    def reference(self, layer):
        """float32 softmax attention of every head over its unit's cached tokens plus the new one."""
        out = torch.empty(self.heads, self.d, device="cuda")
        q = self.q.float().view(self.heads, self.d)
        for u in range(self.units):
            unit = layer * self.units + u
            n = int(self.lengths[unit])
            base = unit * self.cap * self.d
            keys = torch.cat([self.k[base:base + n * self.d].float().view(n, self.d), self.nk.float().view(self.units, self.d)[u:u + 1]])
            vals = torch.cat([self.v[base:base + n * self.d].float().view(n, self.d), self.nv.float().view(self.units, self.d)[u:u + 1]])
            for gi in range(self.G):
                h = u * self.G + gi
                p = torch.softmax(keys @ q[h] / math.sqrt(self.d), dim=0)
                out[h] = p @ vals
        return out


def pow2(g):
    return 1 if g <= 1 else 2 if g <= 2 else 4 if g <= 4 else 8


def copy_bandwidth():
    """Device-to-device copy bandwidth now (bytes read + written), the yardstick of the bounds."""
    a = torch.empty(1 << 30, dtype=torch.uint8, device="cuda")
    b = torch.empty_like(a)
    b.copy_(a)
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(10):
        b.copy_(a)
    torch.cuda.synchronize()
    return 2 * 10 * a.numel() / (time.perf_counter() - t0) / 1e9


def time_cuda(fn, reps):
    """Mean milliseconds of fn() over reps replays of a CUDA graph captured from it (after one eager warm-up), so
    Python's launch overhead (ctypes) never shows in the time of short kernels."""
    fn()
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        fn()
    graph.replay()
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(reps):
        graph.replay()
    stop.record()
    torch.cuda.synchronize()
    return start.elapsed_time(stop) / reps


def causal_tensors(n, seed, heads=32, kv_heads=8, d=128):
    """Random bf16 q [n, heads, d], k and v [n, kv_heads, d] on the GPU."""
    g = torch.Generator(device="cuda").manual_seed(seed)
    q = torch.randn(n, heads, d, device="cuda", generator=g).to(torch.bfloat16)
    k = torch.randn(n, kv_heads, d, device="cuda", generator=g).to(torch.bfloat16)
    v = torch.randn(n, kv_heads, d, device="cuda", generator=g).to(torch.bfloat16)
    return q, k, v


def sdpa_causal(q, k, v):
    """torch's causal GQA scaled_dot_product_attention on [n, heads, d] tensors."""
    return torch.nn.functional.scaled_dot_product_attention(
        q.transpose(0, 1)[None], k.transpose(0, 1)[None], v.transpose(0, 1)[None], is_causal=True, enable_gqa=True)[0].transpose(0, 1)


def sdpa_baseline(n, reps, heads=32, d=128):
    """One causal layer of n tokens (seed 3): the tensors, torch SDPA's time in ms, and the causal FLOPs."""
    q, k, v = causal_tensors(n, 3)
    torch_ms = time_cuda(lambda: sdpa_causal(q, k, v), reps)
    flops = 4 * n * n * d * heads / 2
    print(f"torch SDPA, one layer of {n} tokens: {torch_ms * 1000:.0f} µs ({flops / torch_ms / 1e9:.0f} TFLOP/s)")
    return q, k, v, torch_ms, flops


def prefill_lab(args, arch, base_options):
    """flash_prefill_d128 per key-tile variant vs torch SDPA on one layer of a 32K prompt."""
    source = open(os.path.join(KERNELS, "common.cuh")).read() + "\n" + open(os.path.join(KERNELS, "prefill_attention.cu")).read()
    heads, kv_heads, d = 32, 8, 128
    scale_log2 = (1 / math.sqrt(d)) / math.log(2)
    results = []
    tensors, sdpa = causal_tensors, sdpa_causal

    n = args.context
    q, k, v, torch_ms, flops = sdpa_baseline(n, args.reps)
    for bn in [int(x) for x in args.tiles.split(",")]:
        name = f"key tile {bn}"
        try:
            module = Module(compile_cubin(source, base_options + [f"-DFW_BN={bn}"]))
        except RuntimeError as e:
            print(f"{name}: does not compile: {str(e)[:300]}")
            results.append({"key_tile": bn, "error": str(e)[:2000]})
            continue
        shared = (128 + 2 * 2 * bn) * (d + 8) * 2
        f = module.function("flash_prefill_d128", shared)
        out = torch.empty_like(q)

        def run(q=q, k=k, v=v, out=out, n=n):
            launch(f, ((n + 127) // 128, heads, 1), (128,), shared, [ptr(q), ptr(k), ptr(v), ptr(out), vp(0),
                   ctypes.c_int(n), ctypes.c_int(heads), ctypes.c_int(kv_heads), ctypes.c_float(scale_log2)])

        sq, sk, sv = tensors(333, 4)
        small_out = torch.empty_like(sq)
        launch(f, ((333 + 127) // 128, heads, 1), (128,), shared, [ptr(sq), ptr(sk), ptr(sv), ptr(small_out), vp(0),
               ctypes.c_int(333), ctypes.c_int(heads), ctypes.c_int(kv_heads), ctypes.c_float(scale_log2)])
        ref = sdpa(sq.float(), sk.float(), sv.float())
        err = float((small_out.float() - ref).abs().max() / ref.abs().max())
        ms = time_cuda(run, args.reps)
        row = {"key_tile": bn, "registers": attribute(f, 4), "local_bytes": attribute(f, 3),
               "blocks_per_sm": occupancy(f, 128, shared), "max_rel_error": err, "us_per_layer": round(ms * 1000, 1),
               "tflops": round(flops / ms / 1e9, 1), "vs_torch": round(ms / torch_ms, 3)}
        print(f"{name}: {row['registers']} registers, {row['local_bytes']} B spilled, {row['blocks_per_sm']} blocks/SM, "
              f"max rel error {err:.2e}{' WRONG' if err > 3e-2 else ''}; {row['us_per_layer']:.0f} µs/layer = "
              f"{row['tflops']:.0f} TFLOP/s = {row['vs_torch']:.2f}× torch")
        results.append(row)
        module.unload()
    return {"context": n, "torch_sdpa_us_per_layer": round(torch_ms * 1000, 1), "variants": results}


def wgmma_prefill_lab(args, arch, base_options):
    """flash_prefill_wgmma_d128 (Hopper warpgroup MMA, sm_90a) per (warpgroups, key tile) variant: correctness against
    float32 SDPA on small causal prompts (n not a multiple of any tile), then one layer of a 32K prompt vs torch SDPA
    and the mma.sync kernel (flash_prefill_d128)."""
    if not arch.startswith("sm_90"):
        print(f"--wgmma needs sm_90 (wgmma is sm_90a only); this GPU is {arch}")
        return {"error": f"not sm_90: {arch}"}
    common = open(os.path.join(KERNELS, "common.cuh")).read()
    source = common + "\n" + open(os.path.join(KERNELS, "prefill_attention_wgmma.cu")).read()
    mma_source = common + "\n" + open(os.path.join(KERNELS, "prefill_attention.cu")).read()
    options = [o for o in base_options if not o.startswith("--gpu-architecture")] + ["--gpu-architecture=sm_90a"]
    heads, kv_heads, d = 32, 8, 128
    scale_log2 = (1 / math.sqrt(d)) / math.log(2)
    tensors, sdpa = causal_tensors, sdpa_causal

    n = args.context
    q, k, v, torch_ms, flops = sdpa_baseline(n, args.reps)
    mma = Module(compile_cubin(mma_source, base_options))
    mma_shared = (128 + 2 * 2 * 64) * (d + 8) * 2
    fm = mma.function("flash_prefill_d128", mma_shared)
    out_mma = torch.empty_like(q)
    mma_ms = time_cuda(lambda: launch(fm, ((n + 127) // 128, heads, 1), (128,), mma_shared, [ptr(q), ptr(k), ptr(v), ptr(out_mma), vp(0),
                       ctypes.c_int(n), ctypes.c_int(heads), ctypes.c_int(kv_heads), ctypes.c_float(scale_log2)]), args.reps)
    print(f"mma.sync kernel (flash_prefill_d128): {mma_ms * 1000:.0f} µs/layer = {flops / mma_ms / 1e9:.0f} TFLOP/s")
    results = []
    for wg, bn in [(int(a), int(b)) for a, b in (x.split("x") for x in args.wgmma_variants.split(","))]:
        name = f"wgmma {wg} warpgroup(s) × key tile {bn}"
        try:
            module = Module(compile_cubin(source, options + [f"-DFW3_WG={wg}", f"-DFW3_BN={bn}"]))
        except RuntimeError as e:
            print(f"{name}: does not compile: {str(e)[:3000]}")
            results.append({"warpgroups": wg, "key_tile": bn, "error": str(e)[:4000]})
            continue
        bm, threads = 64 * wg, 128 * wg
        shared = bm * 256 + 2 * (bn * 256 + d * bn * 2) + 1024
        f = module.function("flash_prefill_wgmma_d128", shared)
        tv = module.function("transpose_v_d128")

        def run(q, k, v, out, vt, n, n_pad, lse=None, heads=heads, kv_heads=kv_heads):
            launch(tv, (n_pad // 64, 2, kv_heads), (256,), 0, [ptr(v), ptr(vt), ctypes.c_int(n), ctypes.c_int(n_pad), ctypes.c_int(kv_heads)])
            launch(f, ((n + bm - 1) // bm, heads, 1), (threads,), shared, [ptr(q), ptr(k), ptr(vt), ptr(out), ptr(lse) if lse is not None else vp(0),
                   ctypes.c_int(n), ctypes.c_int(n_pad), ctypes.c_int(heads), ctypes.c_int(kv_heads), ctypes.c_float(scale_log2)])

        errors = {}
        for small_n, hh, kvh in ((1, 4, 2), (63, 4, 2), (333, 8, 2), (1000, 8, 8), (2049, 32, 8)):
            sq, sk, sv = tensors(small_n, small_n, hh, kvh)
            pad = (small_n + 127) // 128 * 128
            svt = torch.empty(kvh, d, pad, device="cuda", dtype=torch.bfloat16)
            so = torch.empty_like(sq)
            slse = torch.empty(hh, small_n, device="cuda")
            run(sq, sk, sv, so, svt, small_n, pad, slse, hh, kvh)
            torch.cuda.synchronize()
            ref = sdpa(sq.float(), sk.float(), sv.float())
            vt_ok = bool(torch.equal(svt[:, :, :small_n], sv.permute(1, 2, 0))) and bool((svt[:, :, small_n:] == 0).all())
            scores = torch.einsum("qhd,khd->hqk", sq.float(), sk.float().repeat_interleave(hh // kvh, dim=1)) * scale_log2
            scores = scores.masked_fill(torch.ones(small_n, small_n, device="cuda").triu(1).bool(), float("-inf"))
            lse_ref = torch.logsumexp(scores * math.log(2), dim=-1) / math.log(2)
            errors[small_n] = {"max_rel_error": float((so.float() - ref).abs().max() / ref.abs().max()),
                               "lse_max_abs_error": float((slse - lse_ref).abs().max()), "vt_exact": vt_ok}
        worst = max(e["max_rel_error"] for e in errors.values())
        vt = torch.empty(kv_heads, d, (n + 127) // 128 * 128, device="cuda", dtype=torch.bfloat16)
        out = torch.empty_like(q)
        ms = time_cuda(lambda: run(q, k, v, out, vt, n, vt.shape[2]), args.reps)
        big_err = float((out.float() - out_mma.float()).abs().max() / out_mma.float().abs().max())
        row = {"warpgroups": wg, "key_tile": bn, "registers": attribute(f, 4), "local_bytes": attribute(f, 3),
               "blocks_per_sm": occupancy(f, threads, shared), "shared_bytes": shared, "errors": errors,
               "vs_mma_kernel_at_context": big_err, "us_per_layer": round(ms * 1000, 1), "tflops": round(flops / ms / 1e9, 1),
               "vs_torch": round(ms / torch_ms, 3), "vs_mma": round(ms / mma_ms, 3)}
        print(f"{name}: {row['registers']} registers, {row['local_bytes']} B spilled, {row['blocks_per_sm']} blocks/SM; "
              f"max rel error {worst:.2e}{' WRONG' if worst > 3e-2 else ''} (per n: "
              + ", ".join(f"{k}: {e['max_rel_error']:.1e}/lse {e['lse_max_abs_error']:.1e}/vt {'ok' if e['vt_exact'] else 'BAD'}" for k, e in errors.items())
              + f"), vs mma kernel at {n}: {big_err:.1e}; {row['us_per_layer']:.0f} µs/layer (with the transpose) = "
              f"{row['tflops']:.0f} TFLOP/s = {row['vs_torch']:.2f}× torch, {row['vs_mma']:.2f}× the mma.sync kernel")
        results.append(row)
        module.unload()
    mma.unload()
    return {"context": n, "torch_sdpa_us_per_layer": round(torch_ms * 1000, 1), "mma_us_per_layer": round(mma_ms * 1000, 1),
            "variants": results}


def gemv_lab(args, base_options, copy_gbps):
    """gemv_bf16 with the k split over 1, 2 and 4 warps on the batch-1 products of a Llama-3-8B layer (and lm_head)
    beside torch's x @ W.T (cuBLAS) and the copy bandwidth, for each --gemv-variants WARPSxROWSxUNROLL (warps per
    block, rows per warp, 16-byte loads per row in flight per lane: -DGEMV_WARPS/-DGEMV_ROWS/-DGEMV_UNROLL)."""
    source = open(os.path.join(KERNELS, "common.cuh")).read() + "\n" + open(os.path.join(KERNELS, "elementwise.cu")).read()
    shapes = [("q|k|v", 6144, 4096), ("o", 4096, 4096), ("gate|up", 28672, 4096), ("down", 4096, 14336), ("lm_head", 128256, 4096)]
    variants = [tuple(int(v) for v in text.split("x")) for text in args.gemv_variants.split(",")]
    modules = {}
    for warps, rows_per_warp, unroll in variants:
        module = Module(compile_cubin(source, base_options + [f"-DGEMV_WARPS={warps}", f"-DGEMV_ROWS={rows_per_warp}", f"-DGEMV_UNROLL={unroll}"]))
        f = module.function("gemv_bf16", 2 * 14336 + 1024)
        modules[(warps, rows_per_warp, unroll)] = (module, f)
        print(f"variant {warps}x{rows_per_warp}x{unroll}: {attribute(f, 4)} registers, {attribute(f, 3)} bytes spilled (local)")
    rows = []
    for name, m, k in shapes:
        g = torch.Generator(device="cuda").manual_seed(m + k)
        # 32 copies of the matrix (a model's layers) so the timing reads from memory, not L2.
        copies = 32 if m * k * 2 * 32 < 8e9 else 1
        w = torch.randn(copies, m, k, device="cuda", generator=g, dtype=torch.bfloat16) * 0.02
        x = torch.randn(k, device="cuda", generator=g).to(torch.bfloat16)
        y = torch.empty(m, device="cuda")
        ref = (w[0].float() @ x.float())
        row = {"matrix": name, "m": m, "k": k, "bytes": m * k * 2}
        torch_ms = time_cuda(lambda: [torch.mv(w[i], x) for i in range(copies)], args.reps) / copies
        row["torch_us"] = round(torch_ms * 1000, 2)
        print(f"{name:8s} {m:6d}×{k:5d}: torch {torch_ms * 1000:7.2f} µs ({m * k * 2 / torch_ms / 1e6:5.0f} GB/s)")
        for (warps, rows_per_warp, unroll), (module, f) in modules.items():
            line = f"    {warps}x{rows_per_warp}x{unroll}:"
            for split in (1, 2, 4):
                if split > warps:
                    continue
                per_block = rows_per_warp * warps // split

                def run(i, split=split, per_block=per_block, f=f, warps=warps):
                    launch(f, ((m + per_block - 1) // per_block, 1, 1), (32 * warps,), 2 * k, [ptr(w[i]), ptr(x), ptr(y), ctypes.c_int(m),
                           ctypes.c_int(k), ctypes.c_int(0), ctypes.c_int(0), ctypes.c_int(split), vp(0), vp(0), ctypes.c_float(0),
                           ctypes.c_int(1), ctypes.c_int(0)])

                run(0)
                torch.cuda.synchronize()
                err = float((y - ref).abs().max() / ref.abs().max())
                ms = time_cuda(lambda: [run(i) for i in range(copies)], args.reps) / copies
                tag = f"w{warps}r{rows_per_warp}u{unroll}_split{split}"
                row[f"{tag}_us"] = round(ms * 1000, 2)
                row[f"{tag}_error"] = err
                line += f" | split{split}: {ms * 1000:7.2f} µs ({m * k * 2 / ms / 1e6:5.0f} GB/s){' WRONG' if err > 1e-4 else ''}"
            print(line)
        rows.append(row)
        del w
    for module, _ in modules.values():
        module.unload()
    return {"copy_bandwidth_GBps": round(copy_gbps, 1), "products": rows}


def accuracy_lab(args, arch):
    """Both decode kernels against a float64 reference for head dims 32/64/128 × groups 1/4 × chunks, with peaked
    attention (q scaled by --q-scale, so the running maximum moves inside long chunks): max |error| / max |ref| per
    case, and the two kernels against each other."""
    source = open(os.path.join(KERNELS, "common.cuh")).read() + "\n" + open(os.path.join(KERNELS, "decode_attention.cu")).read()
    module = Module(compile_cubin(source, [f"--gpu-architecture={arch}", "--std=c++17", "-default-device", "--extra-device-vectorization"]))
    combine = module.function("decode_attention_combine", 48 * 1024)
    rows = []
    part_o = torch.empty(8 * 64 * 128, device="cuda")
    part_ml = torch.empty(8 * 64 * 2, device="cuda")
    for d in (32, 64, 128):
        for G in (1, 4):
            for q_scale in (1.0, args.q_scale):
                case = Case(layers=1, units=2, heads=2 * G, d=d, cap=3000, lengths=[2500, 700], seed=7 + d + G, q_scale=q_scale)
                ref = case.reference(0).double()
                outs = {}
                for kernel in ("partial", "mma"):
                    f = module.function(f"decode_attention_{kernel}_d{d}_g{pow2(G)}", 48 * 1024)
                    for chunk in (64, 256, 1024, 2048):
                        case.out.zero_()
                        case.run(f, combine, 0, chunk, part_o, part_ml)
                        torch.cuda.synchronize()
                        got = case.out.double().view(case.heads, d)
                        outs[(kernel, chunk)] = got
                        err = float((got - ref).abs().max() / ref.abs().max())
                        rows.append({"d": d, "G": G, "q_scale": q_scale, "kernel": kernel, "chunk": chunk, "max_rel_error": err})
                        print(f"d {d:3d} G {G} q×{q_scale:<4} {kernel:7s} chunk {chunk:4d}: max |err| / max |ref| = {err:.2e}{' WRONG' if err > 1e-2 else ''}")
                between = max(float((outs[("mma", c)] - outs[("partial", c)]).abs().max() / ref.abs().max()) for c in (64, 256, 1024, 2048))
                print(f"d {d:3d} G {G} q×{q_scale:<4} mma vs partial, worst chunk: {between:.2e}")
    module.unload()
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kernels", default="onepass,mma", help="decode kernels: onepass (CUDA cores), mma (tensor cores)")
    ap.add_argument("--unrolls", default="2,4,8", help="onepass: tokens per lane in flight (-DDA_UNROLL)")
    ap.add_argument("--mma-unrolls", default="1,2,4", help="mma: 16-token groups per warp in flight (-DDA_MMA_UNROLL)")
    ap.add_argument("--min-blocks", default="0,2,3,4")
    ap.add_argument("--chunks", default="128,256,512,1024,2048")
    ap.add_argument("--context", type=int, default=32768)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--json")
    ap.add_argument("--prefill", action="store_true", help="measure the flash prefill kernel instead")
    ap.add_argument("--accuracy", action="store_true", help="check both decode kernels against float64 (d 32/64/128, groups 1/4)")
    ap.add_argument("--q-scale", type=float, default=6.0, help="--accuracy: query scale of the peaked cases")
    ap.add_argument("--tiles", default="32,64", help="prefill key-tile sizes (-DFW_BN)")
    ap.add_argument("--gemv", action="store_true", help="measure the batch-1 GEMV's k split instead")
    ap.add_argument("--gemv-variants", default="8x2x4", help="--gemv: WARPSxROWSxUNROLL list (-DGEMV_WARPS/-DGEMV_ROWS/-DGEMV_UNROLL)")
    ap.add_argument("--wgmma", action="store_true", help="check and time the Hopper wgmma prefill kernel instead (sm_90)")
    ap.add_argument("--wgmma-variants", default="2x64,1x64,2x128,1x128", help="--wgmma: WARPGROUPSxKEYTILE list")
    args = ap.parse_args()
    torch.zeros(1, device="cuda")  # the primary context, current on this thread
    check(cuda.cuInit(0), "cuInit")
    dev = torch.cuda.get_device_properties(0)
    arch = f"sm_{dev.major}{dev.minor}"
    source = open(os.path.join(KERNELS, "common.cuh")).read() + "\n" + open(os.path.join(KERNELS, "decode_attention.cu")).read()
    base = [f"--gpu-architecture={arch}", "--std=c++17", "-default-device", "--extra-device-vectorization", "-lineinfo",
            "-DUNCOMP_HEAD_DIM=128", "-DUNCOMP_QUERY_HEADS_PER_UNIT=4"]

    copy_gbps = copy_bandwidth()
    print(f"{dev.name}: {dev.multi_processor_count} SMs, copy bandwidth {copy_gbps:.0f} GB/s (read + written)")
    def report(key, result):
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"gpu": dev.name, "torch": torch.__version__, key: result}, f, indent=1)
            print("wrote", args.json)

    if args.gemv:
        return report("gemv", gemv_lab(args, base[:-2], copy_gbps))
    if args.accuracy:
        rows = accuracy_lab(args, arch)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"gpu": dev.name, "accuracy": rows}, f, indent=1)
        return
    if args.wgmma:
        return report("wgmma_prefill", wgmma_prefill_lab(args, arch, base[:-1]))
    if args.prefill:
        return report("prefill", prefill_lab(args, arch, base[:-1]))

    small = Case(layers=2, units=2, heads=8, d=128, cap=1500, lengths=[1000, 37, 1499, 0], seed=1)
    big_cap = args.context + 768
    big = Case(layers=32, units=8, heads=32, d=128, cap=big_cap, lengths=[args.context] * 256, seed=2)
    kv_bytes_per_layer = 8 * (args.context + 1) * 128 * 2 * 2
    max_splits = big.geometry(min(int(c) for c in args.chunks.split(",")))
    part_o = torch.empty(32 * max(max_splits, small.geometry(32)) * 128, device="cuda")
    part_ml = torch.empty(32 * max(max_splits, small.geometry(32)) * 2, device="cuda")

    results = {"gpu": dev.name, "copy_bandwidth_GBps": round(copy_gbps, 1), "context": args.context, "variants": []}
    kernels = {"onepass": ("decode_attention_partial_d128_g4", "DA_UNROLL", args.unrolls),
               "mma": ("decode_attention_mma_d128_g4", "DA_MMA_UNROLL", args.mma_unrolls)}
    variants = [(kernel, unroll, mb) for kernel in args.kernels.split(",")
                for unroll in [int(x) for x in kernels[kernel][2].split(",")]
                for mb in [int(x) for x in args.min_blocks.split(",")]]
    for kernel, unroll, mb in variants:
            function, unroll_macro, _ = kernels[kernel]
            opts = base + [f"-D{unroll_macro}={unroll}"] + ([f"-DDA_MIN_BLOCKS={mb}"] if mb else [])
            name = f"{kernel}: unroll {unroll}, min blocks {mb or '-'}"
            try:
                module = Module(compile_cubin(source, opts))
            except RuntimeError as e:
                print(f"{name}: does not compile: {str(e)[:300]}")
                results["variants"].append({"kernel": kernel, "unroll": unroll, "min_blocks": mb, "error": str(e)[:2000]})
                continue
            partial = module.function(function, 48 * 1024)
            combine = module.function("decode_attention_combine", 48 * 1024)
            shared = 4 * 4 * 4 * (128 + 2)
            info = {"kernel": kernel, "unroll": unroll, "min_blocks": mb, "registers": attribute(partial, 4), "local_bytes": attribute(partial, 3),
                    "blocks_per_sm": occupancy(partial, 128, shared), "chunks": []}
            # Correctness on the small ragged case (every chunk size; empty and one-token units included).
            worst = 0.0
            for chunk in [32, 64, 256, 1024]:
                for layer in range(small.layers):
                    small.run(partial, combine, layer, chunk, part_o, part_ml)
                    torch.cuda.synchronize()
                    ref = small.reference(layer)
                    got = small.out.float().view(small.heads, small.d)
                    worst = max(worst, float((got - ref).abs().max() / ref.abs().max()))
            info["max_rel_error"] = worst
            line = f"{name}: {info['registers']} registers, {info['local_bytes']} B spilled, {info['blocks_per_sm']} blocks/SM, max rel error {worst:.2e}"
            print(line + (" WRONG" if worst > 2e-2 else ""))
            for chunk in [int(x) for x in args.chunks.split(",")]:
                splits = big.geometry(chunk)
                timings = {}
                for label, with_combine in (("partial", False), ("step", True)):
                    def step(with_combine=with_combine, chunk=chunk):
                        for layer in range(32):
                            big.run(partial, combine, layer, chunk, part_o, part_ml, with_combine)
                    timings[label] = time_cuda(step, args.reps) * 1000 / 32
                gbps = kv_bytes_per_layer / (timings["partial"] * 1e-6) / 1e9
                row = {"chunk": chunk, "splits": splits, "partial_us": round(timings["partial"], 2),
                       "combine_us": round(timings["step"] - timings["partial"], 2), "kv_GBps": round(gbps, 1),
                       "step_attention_ms_32_layers": round(timings["step"] * 32 / 1000, 3)}
                info["chunks"].append(row)
                print(f"    chunk {chunk:5d} ({splits:4d} splits): partial {row['partial_us']:7.2f} µs/layer = {gbps:6.0f} GB/s, "
                      f"combine {row['combine_us']:6.2f} µs; 32 layers {row['step_attention_ms_32_layers']:.3f} ms")
            results["variants"].append(info)
            module.unload()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
        print("wrote", args.json)


if __name__ == "__main__":
    main()
