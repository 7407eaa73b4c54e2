// Shared helpers of the UNComp CUDA kernels. NVRTC compiles these sources with no toolkit headers:
// bf16 values travel as raw 16-bit patterns, tensor-core and copy instructions are inline PTX.
typedef unsigned short bf16_t;
typedef unsigned int u32;
typedef unsigned long long u64;

#define NEG_INF (-__int_as_float(0x7f800000) )

__device__ __forceinline__ float bf2f(bf16_t h) { return __uint_as_float(((u32)h) << 16); }

// Round to nearest even; NaN stays NaN.
__device__ __forceinline__ bf16_t f2bf(float f)
{
    u32 u = __float_as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (bf16_t)((u >> 16) | 0x40u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (bf16_t)(u >> 16);
}

// Two floats to a bf16x2 register: lo in the low half (the lower column / address).
__device__ __forceinline__ u32 pack_bf16x2(float lo, float hi)
{
    u32 r;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
}

__device__ __forceinline__ float bf_lo(u32 v) { return __uint_as_float(v << 16); }
__device__ __forceinline__ float bf_hi(u32 v) { return __uint_as_float(v & 0xffff0000u); }

__device__ __forceinline__ float warp_sum(float v)
{
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v)
{
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
__device__ __forceinline__ float block_sum(float v)
{
    __shared__ float partial[32];
    __shared__ float total;
    v = warp_sum(v);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    if (warp == 0)
    {
        float s = lane < (int)(blockDim.x >> 5) ? partial[lane] : 0.f;
        s = warp_sum(s);
        if (lane == 0) total = s;
    }
    __syncthreads();
    float r = total;
    __syncthreads();
    return r;
}

__device__ __forceinline__ u32 smem_addr(const void* p)
{
    u32 a;
    asm("{ .reg .u64 t; cvta.to.shared.u64 t, %1; cvt.u32.u64 %0, t; }" : "=r"(a) : "l"(p));
    return a;
}

// 16-byte global→shared copy; src_bytes = 0 fills zeros (rows past the end).
__device__ __forceinline__ void cp_async16(u32 dst, const void* src, int src_bytes)
{
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" :: "r"(dst), "l"(src), "r"(src_bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;"); }
template <int N> __device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;" :: "n"(N)); }

__device__ __forceinline__ void ldmatrix_x4(u32 addr, u32& r0, u32& r1, u32& r2, u32& r3)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];" : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(addr));
}
__device__ __forceinline__ void ldmatrix_x4_trans(u32 addr, u32& r0, u32& r1, u32& r2, u32& r3)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];" : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(addr));
}

// 2^x with the SFU (ftz); 2^-inf = +0.
__device__ __forceinline__ float fast_exp2(float x)
{
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
}

// D(16×8, fp32) += A(16×16, bf16, row) · B(16×8, bf16, col).
__device__ __forceinline__ void mma_bf16(float* c, u32 a0, u32 a1, u32 a2, u32 a3, u32 b0, u32 b1)
{
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

__device__ __forceinline__ u32 word_of(const uint4& v, int w) { return w == 0 ? v.x : w == 1 ? v.y : w == 2 ? v.z : v.w; }

// C(16×8) += A·Bᵀ over D dimensions with bf16 rows loaded straight from memory (no shared memory): lane (grp, quad)
// holds D/32 16-byte pieces of A row grp (a_lo), A row grp+8 (a_hi) and B row grp, each at dims i·32 + quad·8 … +8.
// A dot product may sum its dimensions in any order, so k-step ks takes piece ks/2, words (ks%2)·2 (k = 2·quad, +1)
// and (ks%2)·2 + 1 (k = 2·quad + 8, +9): every lane feeds the mma the dimensions it already holds.
template <int D>
__device__ __forceinline__ void mma_rows_dot(float* c, const uint4* a_lo, const uint4* a_hi, const uint4* b)
{
#pragma unroll
    for (int ks = 0; ks < D / 16; ks++)
    {
        const int w = (ks & 1) * 2, i = ks >> 1;
        mma_bf16(c, word_of(a_lo[i], w), word_of(a_hi[i], w), word_of(a_lo[i], w + 1), word_of(a_hi[i], w + 1),
                 word_of(b[i], w), word_of(b[i], w + 1));
    }
}

// A row's D/32 16-byte pieces at dims i·32 + quad·8 (mma_rows_dot's layout), or zeros.
template <int D>
__device__ __forceinline__ void load_row_pieces(uint4* dst, const bf16_t* row, int quad, bool valid)
{
#pragma unroll
    for (int i = 0; i < D / 32; i++) dst[i] = valid ? *(const uint4*)(row + i * 32 + quad * 8) : make_uint4(0u, 0u, 0u, 0u);
}

// RoPE of one pair (a = x[i], b = x[i + d/2]) by the angle whose sine and cosine are s, c (half-split rotate_half):
// r0 = a·c − b·s, r1 = b·c + a·s, rounded per operation (no contraction into FMAs), so qkv_rope and the decode
// attention's fused RoPE give the same bits.
__device__ __forceinline__ void rope_rotate(float a, float b, float s, float c, float& r0, float& r1)
{
    r0 = __fsub_rn(__fmul_rn(a, c), __fmul_rn(b, s));
    r1 = __fadd_rn(__fmul_rn(b, c), __fmul_rn(a, s));
}

// Programmatic dependent launch (sm_90+): a kernel launched with the programmatic-stream-serialization attribute
// (CudaModule.ProgrammaticLaunch) may be scheduled while its predecessor in the stream is still finishing.
// pdl_wait blocks until the predecessor has completed and its writes are visible; pdl_launch_dependents lets the
// kernel's own successor be scheduled early (its blocks then run up to their own pdl_wait). Both are no-ops for a
// normal launch and before sm_90. Work that reads nothing a predecessor writes (weights) may run before pdl_wait.
__device__ __forceinline__ void pdl_wait()
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

__device__ __forceinline__ void pdl_launch_dependents()
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

// Every kernel's first statement unless it has work that may precede the wait: wait, then let the next one launch.
__device__ __forceinline__ void pdl_prologue()
{
    pdl_wait();
    pdl_launch_dependents();
}

// Block-wide minimum of (key, index) pairs, ties to the lower index: every thread passes its running best and thread 0
// ends with the block's. Has a __syncthreads: every thread of the block must call it (blocks of up to 1,024 threads).
__device__ __forceinline__ void block_argmin(u32& key, u32& idx)
{
    __shared__ u32 s_key[32], s_idx[32];
#pragma unroll
    for (int o = 16; o > 0; o >>= 1)
    {
        const u32 ok = __shfl_xor_sync(0xffffffffu, key, o), oi = __shfl_xor_sync(0xffffffffu, idx, o);
        if (ok < key || (ok == key && oi < idx)) { key = ok; idx = oi; }
    }
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) { s_key[warp] = key; s_idx[warp] = idx; }
    __syncthreads();
    if (threadIdx.x == 0)
    {
        for (int w = 1; w < (int)(blockDim.x >> 5); w++)
            if (s_key[w] < key || (s_key[w] == key && s_idx[w] < idx)) { key = s_key[w]; idx = s_idx[w]; }
    }
}

// splitmix64: a counter-based generator, so a sampled token depends only on (seed, step, row).
__device__ __forceinline__ u64 mix64(u64 z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// A compiled profile's constants (-DUNCOMP_HEAD_DIM=…, -DUNCOMP_QUERY_HEADS_PER_UNIT=…, see CudaEngineOptions.KernelDefines)
// keep only the kernel instantiations that profile uses: a smaller module and a shorter first compile. Without them
// every instantiation is built.
#ifdef UNCOMP_HEAD_DIM
#define UNCOMP_WANTS_D(D) (UNCOMP_HEAD_DIM == (D))
#else
#define UNCOMP_WANTS_D(D) 1
#endif
#ifdef UNCOMP_QUERY_HEADS_PER_UNIT
#define UNCOMP_WANTS_G(G) ((G) == 1 ? UNCOMP_QUERY_HEADS_PER_UNIT <= 1 : ((G) / 2 < UNCOMP_QUERY_HEADS_PER_UNIT && UNCOMP_QUERY_HEADS_PER_UNIT <= (G)))
#else
#define UNCOMP_WANTS_G(G) 1
#endif
