// Causal prefill attention on Hopper's warpgroup tensor cores (wgmma, sm_90a only): FlashAttention-style online
// softmax, head dim 128, grouped-query attention. A block of FW3_WG warpgroups owns 64 query rows per warpgroup;
// S = Q·Kᵀ is one wgmma chain per 16 dimensions with Q and K read from shared memory through matrix descriptors, and
// O += P·V takes P straight from S's accumulator registers (the accumulator layout of two 8-column tiles is the
// A-fragment layout of one 16-deep step) with V read from shared memory as Vᵀ, so both products use the
// non-transposed, K-major operand layout. Vᵀ is written by transpose_v_d128 before the kernel ([kv_heads, 128, n_pad],
// keys padded with zeros to the key tile). Shared memory uses the 128-byte swizzle: a row of 64 bf16 is one 128-byte
// line, 16-byte chunk c of row r sits at chunk c ^ (r mod 8), 8-row groups are 1,024 bytes apart (SBO), and each
// 16-deep step advances the descriptor's start by 32 bytes inside the line. K/V tiles are double-buffered with cp.async.
// q, o: [n, heads, 128] bf16; k: [n, kv_heads, 128] bf16; vt: [kv_heads, 128, n_pad] bf16; lse as flash_prefill_d*.
// Grid: (ceil(n / (64·FW3_WG)), heads); block 128·FW3_WG threads; dynamic shared memory: flash_prefill_wgmma_smem.

#ifndef FW3_WG   // warpgroups per block (64 query rows each); tools/gpu/kernel_lab.py --wgmma tries others
#define FW3_WG 2
#endif
#ifndef FW3_BN   // keys per tile: 64 or 128 (128: 25.7 vs 28.6 ms per 32K layer on an H200, docs/benchmarks/gpu/gpu-next2)
#define FW3_BN 128
#endif
#define FW3_BM (64 * FW3_WG)
#define FW3_THREADS (128 * FW3_WG)
#define FW3_D 128
// Bytes: Q (2 lines of 64 dims per row) + 2 stages × (K tile + Vᵀ tile), plus 1 KB to align the base to 1,024.
#define FW3_SMEM (FW3_BM * 256 + 2 * (FW3_BN * 256 + FW3_D * FW3_BN * 2) + 1024)

#if UNCOMP_WANTS_D(128)
// Vᵀ for the wgmma prefill: vt[h, d, key] = v[key, h, d] for key < n, 0 for n ≤ key < n_pad. 64 × 64 tiles through
// shared memory. Grid: (n_pad / 64, 128 / 64, kv_heads); block 256.
extern "C" __global__ void transpose_v_d128(const bf16_t* __restrict__ v, bf16_t* __restrict__ vt, int n, int n_pad, int kv_heads)
{ pdl_prologue();
    __shared__ bf16_t tile[64][64 + 2];
    const int key0 = blockIdx.x * 64, d0 = blockIdx.y * 64, h = blockIdx.z;
    for (int i = threadIdx.x; i < 64 * 64; i += blockDim.x)
    {
        int r = i / 64, c = i % 64;   // r: key, c: dim (coalesced along the dims of one key)
        int key = key0 + r;
        tile[r][c] = key < n ? v[((long)key * kv_heads + h) * FW3_D + d0 + c] : (bf16_t)0;
    }
    __syncthreads();
    for (int i = threadIdx.x; i < 64 * 64; i += blockDim.x)
    {
        int r = i / 64, c = i % 64;   // r: dim, c: key (coalesced along the keys of one dim)
        vt[((long)h * FW3_D + d0 + r) * n_pad + key0 + c] = tile[c][r];
    }
}

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)   // NVRTC defines it for sm_90a

// D (+)= A · B with A and B in shared memory (descriptors), D [64 × 64] fp32 in 32 registers per thread.
__device__ __forceinline__ void wgmma_ss_n64(float* d, u64 desc_a, u64 desc_b, int accumulate)
{
    asm volatile(
        "{\n.reg .pred p;\n"
        "setp.ne.b32 p, %34, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 "
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
        "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, "
        "%32, %33, p, 1, 1, 0, 0;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
        : "l"(desc_a), "l"(desc_b), "r"(accumulate));
}

// D (+)= A · B with A and B in shared memory (descriptors), D [64 × 128] fp32 in 64 registers per thread.
__device__ __forceinline__ void wgmma_ss_n128(float* d, u64 desc_a, u64 desc_b, int accumulate)
{
    asm volatile(
        "{\n.reg .pred p;\n"
        "setp.ne.b32 p, %66, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 "
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
        "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
        "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
        "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, "
        "%64, %65, p, 1, 1, 0, 0;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
        : "l"(desc_a), "l"(desc_b), "r"(accumulate));
}

// D += A · B with A in registers (4 × bf16x2 per thread, mma.sync's A layout per warp) and B in shared memory,
// D [64 × 128] fp32 in 64 registers per thread.
__device__ __forceinline__ void wgmma_rs_n128(float* d, const u32* a, u64 desc_b, int accumulate)
{
    asm volatile(
        "{\n.reg .pred p;\n"
        "setp.ne.b32 p, %69, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 "
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
        "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
        "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
        "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, "
        "{%64, %65, %66, %67}, %68, p, 1, 1, 0;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc_b), "r"(accumulate));
}

__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;" ::: "memory"); }
__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory"); }
__device__ __forceinline__ void wgmma_wait_all() { asm volatile("wgmma.wait_group.sync.aligned 0;" ::: "memory"); }
// Keeps the compiler from moving accumulator reads or writes across the asynchronous products.
__device__ __forceinline__ void fence_operand(float& r) { asm volatile("" : "+f"(r) :: "memory"); }
// cp.async writes are generic-proxy writes; wgmma reads shared memory through the async proxy.
__device__ __forceinline__ void fence_proxy_async() { asm volatile("fence.proxy.async.shared::cta;" ::: "memory"); }

// Descriptor of a K-major operand in the 128-byte-swizzled layout starting at shared address addr (inside a
// 1,024-aligned region): start >> 4 in bits 0–13, leading-dimension offset 1 (unused with this swizzle) in 16–29,
// stride-dimension offset 1,024 >> 4 in 32–45, base offset 0, swizzle mode 1 (128 B) in bits 62–63.
__device__ __forceinline__ u64 sw128_desc(u32 addr)
{
    return (u64)((addr & 0x3FFFF) >> 4) | ((u64)1 << 16) | ((u64)(1024 >> 4) << 32) | ((u64)1 << 62);
}

// Shared-memory offset of 16-byte chunk c (of rows 2·lines·64 bf16 wide) of row r in a swizzled tile of `rows` rows:
// line c / 8 holds dims (or keys) 64·(c/8)…, each line a [rows][128 B] block.
__device__ __forceinline__ u32 sw128_offset(int r, int c, int rows)
{
    return (u32)((c >> 3) * rows * 128 + r * 128 + (((c & 7) ^ (r & 7)) << 4));
}

extern "C" __global__ void __launch_bounds__(FW3_THREADS) flash_prefill_wgmma_d128(const bf16_t* __restrict__ Q,
    const bf16_t* __restrict__ K, const bf16_t* __restrict__ VT, bf16_t* __restrict__ O, float* __restrict__ lse, int n,
    int n_pad, int heads, int kv_heads, float scale_log2)
{ pdl_prologue();
    extern __shared__ __attribute__((aligned(16))) unsigned char smem_raw[];
    const u32 raw = smem_addr(smem_raw);
    const u32 base = (raw + 1023) & ~1023u;                 // swizzle patterns repeat every 1,024 bytes
    unsigned char* smem = smem_raw + (base - raw);
    constexpr int Q_BYTES = FW3_BM * 256, K_BYTES = FW3_BN * 256, V_BYTES = FW3_D * FW3_BN * 2;
    const u32 q_s = base;
    auto k_s = [&](int stage) { return base + Q_BYTES + stage * (K_BYTES + V_BYTES); };
    auto v_s = [&](int stage) { return k_s(stage) + K_BYTES; };

    const int qb = gridDim.x - 1 - blockIdx.x;                // longest rows first
    const int h = blockIdx.y;
    const int kvh = h / (heads / kv_heads);
    const int wg = threadIdx.x >> 7, warp = (threadIdx.x >> 5) & 3, lane = threadIdx.x & 31;
    const int g = lane >> 2, t4 = lane & 3;
    const int q0 = qb * FW3_BM;
    const long q_stride = (long)heads * FW3_D, kv_stride = (long)kv_heads * FW3_D;

    for (int c = threadIdx.x; c < FW3_BM * 16; c += FW3_THREADS)
    {
        int r = c >> 4, ch = c & 15, row = q0 + r;
        cp_async16(q_s + sw128_offset(r, ch, FW3_BM), Q + (long)(row < n ? row : 0) * q_stride + (long)h * FW3_D + ch * 8, row < n ? 16 : 0);
    }
    cp_async_commit();

    auto load_tile = [&](int kb, int stage) {
        for (int c = threadIdx.x; c < FW3_BN * 16; c += FW3_THREADS)
        {
            int r = c >> 4, ch = c & 15, key = kb * FW3_BN + r;
            cp_async16(k_s(stage) + sw128_offset(r, ch, FW3_BN), K + (long)(key < n ? key : 0) * kv_stride + (long)kvh * FW3_D + ch * 8, key < n ? 16 : 0);
        }
        for (int c = threadIdx.x; c < FW3_D * (FW3_BN / 8); c += FW3_THREADS)
        {
            int r = c / (FW3_BN / 8), ch = c % (FW3_BN / 8);   // r: dim, ch: 8-key chunk (vt is zero-padded to n_pad)
            cp_async16(v_s(stage) + sw128_offset(r, ch, FW3_D), VT + ((long)kvh * FW3_D + r) * n_pad + kb * FW3_BN + ch * 8, 16);
        }
        cp_async_commit();
    };

    float o[FW3_D / 2];
#pragma unroll
    for (int i = 0; i < FW3_D / 2; i++) o[i] = 0.f;
    float m0 = NEG_INF, m1 = NEG_INF, l0 = 0.f, l1 = 0.f;
    const int row0 = q0 + wg * 64 + warp * 16 + g, row1 = row0 + 8;
    const int wg_first = q0 + wg * 64, wg_last = wg_first + 63;

    const int last_kb = min((q0 + FW3_BM - 1) / FW3_BN, (n - 1) / FW3_BN);
    load_tile(0, 0);
    for (int kb = 0; kb <= last_kb; kb++)
    {
        const int stage = kb & 1;
        if (kb + 1 <= last_kb) { load_tile(kb + 1, stage ^ 1); cp_async_wait<1>(); }
        else { cp_async_wait<0>(); }
        fence_proxy_async();
        __syncthreads();

        // A warpgroup whose rows all lie before the tile's first key has nothing to add (causal).
        if (kb * FW3_BN <= wg_last && wg_first < n)
        {
            float s[FW3_BN / 2];
#pragma unroll
            for (int i = 0; i < FW3_BN / 2; i++) { s[i] = 0.f; fence_operand(s[i]); }
            wgmma_fence();
#pragma unroll
            for (int kk = 0; kk < FW3_D / 16; kk++)
            {
                u64 da = sw128_desc(q_s + (kk >> 2) * (FW3_BM * 128) + wg * 64 * 128 + (kk & 3) * 32);
                u64 db = sw128_desc(k_s(stage) + (kk >> 2) * (FW3_BN * 128) + (kk & 3) * 32);
#if FW3_BN == 64
                wgmma_ss_n64(s, da, db, kk > 0);
#else
                wgmma_ss_n128(s, da, db, kk > 0);
#endif
            }
            wgmma_commit();
            wgmma_wait_all();
#pragma unroll
            for (int i = 0; i < FW3_BN / 2; i++) fence_operand(s[i]);

            const bool edge = kb * FW3_BN + FW3_BN - 1 > wg_first || kb * FW3_BN + FW3_BN > n;
            float mx0 = NEG_INF, mx1 = NEG_INF;
#pragma unroll
            for (int j = 0; j < FW3_BN / 8; j++)
            {
#pragma unroll
                for (int e = 0; e < 2; e++)
                {
                    int key = kb * FW3_BN + j * 8 + t4 * 2 + e;
                    float v0 = s[4 * j + e] * scale_log2, v1 = s[4 * j + 2 + e] * scale_log2;
                    if (edge)
                    {
                        if (key > row0 || key >= n) v0 = NEG_INF;
                        if (key > row1 || key >= n) v1 = NEG_INF;
                    }
                    s[4 * j + e] = v0; s[4 * j + 2 + e] = v1;
                    mx0 = fmaxf(mx0, v0); mx1 = fmaxf(mx1, v1);
                }
            }
            mx0 = fmaxf(mx0, __shfl_xor_sync(0xffffffffu, mx0, 1)); mx0 = fmaxf(mx0, __shfl_xor_sync(0xffffffffu, mx0, 2));
            mx1 = fmaxf(mx1, __shfl_xor_sync(0xffffffffu, mx1, 1)); mx1 = fmaxf(mx1, __shfl_xor_sync(0xffffffffu, mx1, 2));
            const float mn0 = fmaxf(m0, mx0), mn1 = fmaxf(m1, mx1);
            const float ref0 = mn0 == NEG_INF ? 0.f : mn0, ref1 = mn1 == NEG_INF ? 0.f : mn1;
            const float alpha0 = fast_exp2(m0 - ref0), alpha1 = fast_exp2(m1 - ref1);
            float sum0 = 0.f, sum1 = 0.f;
#pragma unroll
            for (int j = 0; j < FW3_BN / 8; j++)
            {
#pragma unroll
                for (int e = 0; e < 2; e++)
                {
                    float p0 = fast_exp2(s[4 * j + e] - ref0), p1 = fast_exp2(s[4 * j + 2 + e] - ref1);
                    s[4 * j + e] = p0; s[4 * j + 2 + e] = p1;
                    sum0 += p0; sum1 += p1;
                }
            }
            l0 = l0 * alpha0 + sum0; l1 = l1 * alpha1 + sum1;
            m0 = mn0; m1 = mn1;
#pragma unroll
            for (int j = 0; j < FW3_D / 8; j++) { o[4 * j] *= alpha0; o[4 * j + 1] *= alpha0; o[4 * j + 2] *= alpha1; o[4 * j + 3] *= alpha1; }

            u32 a[FW3_BN / 16][4];
#pragma unroll
            for (int kk = 0; kk < FW3_BN / 16; kk++)
            {
                a[kk][0] = pack_bf16x2(s[8 * kk], s[8 * kk + 1]);
                a[kk][1] = pack_bf16x2(s[8 * kk + 2], s[8 * kk + 3]);
                a[kk][2] = pack_bf16x2(s[8 * kk + 4], s[8 * kk + 5]);
                a[kk][3] = pack_bf16x2(s[8 * kk + 6], s[8 * kk + 7]);
            }
#pragma unroll
            for (int i = 0; i < FW3_D / 2; i++) fence_operand(o[i]);
            wgmma_fence();
#pragma unroll
            for (int kk = 0; kk < FW3_BN / 16; kk++)
                wgmma_rs_n128(o, a[kk], sw128_desc(v_s(stage) + (kk >> 2) * (FW3_D * 128) + (kk & 3) * 32), 1);
            wgmma_commit();
            wgmma_wait_all();
#pragma unroll
            for (int i = 0; i < FW3_D / 2; i++) fence_operand(o[i]);
        }
        __syncthreads();   // every warpgroup is done with this stage before the next load overwrites it
    }

    l0 += __shfl_xor_sync(0xffffffffu, l0, 1); l0 += __shfl_xor_sync(0xffffffffu, l0, 2);
    l1 += __shfl_xor_sync(0xffffffffu, l1, 1); l1 += __shfl_xor_sync(0xffffffffu, l1, 2);
    const float inv0 = l0 > 0.f ? 1.f / l0 : 0.f, inv1 = l1 > 0.f ? 1.f / l1 : 0.f;
    if (lse != 0 && t4 == 0)
    {
        if (row0 < n) lse[(long)h * n + row0] = m0 + log2f(l0);
        if (row1 < n) lse[(long)h * n + row1] = m1 + log2f(l1);
    }
#pragma unroll
    for (int j = 0; j < FW3_D / 8; j++)
    {
        int col = j * 8 + t4 * 2;
        if (row0 < n) *(u32*)(O + (long)row0 * q_stride + (long)h * FW3_D + col) = pack_bf16x2(o[4 * j] * inv0, o[4 * j + 1] * inv0);
        if (row1 < n) *(u32*)(O + (long)row1 * q_stride + (long)h * FW3_D + col) = pack_bf16x2(o[4 * j + 2] * inv1, o[4 * j + 3] * inv1);
    }
    (void)smem;
}

#endif  // __CUDA_ARCH_FEAT_SM90_ALL
#endif  // UNCOMP_WANTS_D(128)
