// Causal prefill attention, flash-attention style, with grouped-query attention: online softmax over 64-key tiles,
// tensor cores through mma.sync m16n8k16 bf16 with fp32 accumulation, K/V tiles double-buffered in shared memory
// with cp.async, rows padded by 16 bytes so ldmatrix is bank-conflict free, probabilities rounded to bf16 for the
// P·V product (as FlashAttention-2 does). Each warp owns 32 query rows (two 16-row m-tiles), so every K and V
// fragment read from shared memory feeds two tensor-core products (FlashAttention-2's warp tiling); Q is staged in
// shared memory and read with ldmatrix per k-step instead of living in registers.
// q, o: [n, heads, D] bf16; k, v: [n, kv_heads, D] bf16.
// Block: 4 warps × 32 rows = 128 rows; grid: (ceil(n/128), heads); keys in 64-row tiles, double-buffered.

#define FW_BM 128
#ifndef FW_BN   // keys per tile; tools/gpu/kernel_lab.py --prefill tries others with -DFW_BN (the engine passes none)
#define FW_BN 64
#endif
#define FW_THREADS 128

template <int D>
__device__ __forceinline__ void flash_prefill_impl(const bf16_t* __restrict__ Q, const bf16_t* __restrict__ K,
    const bf16_t* __restrict__ V, bf16_t* __restrict__ O, float* __restrict__ lse, int n, int heads, int kv_heads, float scale_log2)
{
    extern __shared__ __attribute__((aligned(16))) unsigned char smem_raw[];
    constexpr int STRIDE = D + 8;
    constexpr int TILE = FW_BN * STRIDE;
    bf16_t* qs = (bf16_t*)smem_raw;          // [FW_BM][STRIDE]
    bf16_t* kvs = qs + FW_BM * STRIDE;       // [stage][K | V][FW_BN][STRIDE]

    const int qb = gridDim.x - 1 - blockIdx.x;
    const int h = blockIdx.y;
    const int kvh = h / (heads / kv_heads);
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int g = lane >> 2, t4 = lane & 3;
    const int q0 = qb * FW_BM;
    const long q_stride = (long)heads * D, kv_stride = (long)kv_heads * D;

    for (int c = threadIdx.x; c < FW_BM * (D / 8); c += FW_THREADS)
    {
        int r = c / (D / 8), col = (c % (D / 8)) * 8;
        int row = q0 + r;
        cp_async16(smem_addr(qs + r * STRIDE + col), Q + (long)(row < n ? row : 0) * q_stride + (long)h * D + col, row < n ? 16 : 0);
    }
    cp_async_commit();

    auto load_tile = [&](int kb, int stage) {
        bf16_t* ks = kvs + stage * 2 * TILE;
        bf16_t* vs = ks + TILE;
        for (int c = threadIdx.x; c < FW_BN * (D / 8); c += FW_THREADS)
        {
            int r = c / (D / 8), col = (c % (D / 8)) * 8;
            int key = kb * FW_BN + r;
            int ok = key < n ? 16 : 0;
            long src = (long)(key < n ? key : 0) * kv_stride + (long)kvh * D + col;
            cp_async16(smem_addr(ks + r * STRIDE + col), K + src, ok);
            cp_async16(smem_addr(vs + r * STRIDE + col), V + src, ok);
        }
        cp_async_commit();
    };

    float o[2][D / 8][4];
#pragma unroll
    for (int mt = 0; mt < 2; mt++)
    {
#pragma unroll
        for (int i = 0; i < D / 8; i++) { o[mt][i][0] = 0.f; o[mt][i][1] = 0.f; o[mt][i][2] = 0.f; o[mt][i][3] = 0.f; }
    }
    float m[2][2] = { { NEG_INF, NEG_INF }, { NEG_INF, NEG_INF } };
    float l[2][2] = { { 0.f, 0.f }, { 0.f, 0.f } };

    const int last_kb = min((q0 + FW_BM - 1) / FW_BN, (n - 1) / FW_BN);
    load_tile(0, 0);
    for (int kb = 0; kb <= last_kb; kb++)
    {
        const int stage = kb & 1;
        if (kb + 1 <= last_kb) { load_tile(kb + 1, stage ^ 1); cp_async_wait<1>(); }
        else { cp_async_wait<0>(); }
        __syncthreads();
        const bf16_t* ks = kvs + stage * 2 * TILE;
        const bf16_t* vs = ks + TILE;

        float s[2][FW_BN / 8][4];
#pragma unroll
        for (int mt = 0; mt < 2; mt++)
        {
#pragma unroll
            for (int i = 0; i < FW_BN / 8; i++) { s[mt][i][0] = 0.f; s[mt][i][1] = 0.f; s[mt][i][2] = 0.f; s[mt][i][3] = 0.f; }
        }
#pragma unroll
        for (int kk = 0; kk < D / 16; kk++)
        {
            u32 a[2][4];
#pragma unroll
            for (int mt = 0; mt < 2; mt++)
            {
                int row = warp * 32 + mt * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
                int col = kk * 16 + (lane >> 4) * 8;
                ldmatrix_x4(smem_addr(qs + row * STRIDE + col), a[mt][0], a[mt][1], a[mt][2], a[mt][3]);
            }
#pragma unroll
            for (int nt = 0; nt < FW_BN / 8; nt += 2)
            {
                int mi = lane >> 3;
                int key = (nt + (mi >> 1)) * 8 + (lane & 7);
                int col = kk * 16 + (mi & 1) * 8;
                u32 b0, b1, b2, b3;
                ldmatrix_x4(smem_addr(ks + key * STRIDE + col), b0, b1, b2, b3);
#pragma unroll
                for (int mt = 0; mt < 2; mt++)
                {
                    mma_bf16(s[mt][nt], a[mt][0], a[mt][1], a[mt][2], a[mt][3], b0, b1);
                    mma_bf16(s[mt][nt + 1], a[mt][0], a[mt][1], a[mt][2], a[mt][3], b2, b3);
                }
            }
        }

        const bool edge = kb * FW_BN + FW_BN - 1 > q0 + warp * 32 || kb * FW_BN + FW_BN > n;
#pragma unroll
        for (int mt = 0; mt < 2; mt++)
        {
            const int row0 = q0 + warp * 32 + mt * 16 + g, row1 = row0 + 8;
            float mx0 = NEG_INF, mx1 = NEG_INF;
#pragma unroll
            for (int nt = 0; nt < FW_BN / 8; nt++)
            {
#pragma unroll
                for (int e = 0; e < 2; e++)
                {
                    int key = kb * FW_BN + nt * 8 + t4 * 2 + e;
                    float v0 = s[mt][nt][e] * scale_log2, v1 = s[mt][nt][2 + e] * scale_log2;
                    if (edge)
                    {
                        if (key > row0 || key >= n) v0 = NEG_INF;
                        if (key > row1 || key >= n) v1 = NEG_INF;
                    }
                    s[mt][nt][e] = v0; s[mt][nt][2 + e] = v1;
                    mx0 = fmaxf(mx0, v0); mx1 = fmaxf(mx1, v1);
                }
            }
            mx0 = fmaxf(mx0, __shfl_xor_sync(0xffffffffu, mx0, 1)); mx0 = fmaxf(mx0, __shfl_xor_sync(0xffffffffu, mx0, 2));
            mx1 = fmaxf(mx1, __shfl_xor_sync(0xffffffffu, mx1, 1)); mx1 = fmaxf(mx1, __shfl_xor_sync(0xffffffffu, mx1, 2));
            float mn0 = fmaxf(m[mt][0], mx0), mn1 = fmaxf(m[mt][1], mx1);
            float ref0 = mn0 == NEG_INF ? 0.f : mn0, ref1 = mn1 == NEG_INF ? 0.f : mn1;
            float alpha0 = fast_exp2(m[mt][0] - ref0), alpha1 = fast_exp2(m[mt][1] - ref1);
            float sum0 = 0.f, sum1 = 0.f;
#pragma unroll
            for (int nt = 0; nt < FW_BN / 8; nt++)
            {
#pragma unroll
                for (int e = 0; e < 2; e++)
                {
                    float p0 = fast_exp2(s[mt][nt][e] - ref0), p1 = fast_exp2(s[mt][nt][2 + e] - ref1);
                    s[mt][nt][e] = p0; s[mt][nt][2 + e] = p1;
                    sum0 += p0; sum1 += p1;
                }
            }
            l[mt][0] = l[mt][0] * alpha0 + sum0; l[mt][1] = l[mt][1] * alpha1 + sum1;
            m[mt][0] = mn0; m[mt][1] = mn1;
#pragma unroll
            for (int i = 0; i < D / 8; i++) { o[mt][i][0] *= alpha0; o[mt][i][1] *= alpha0; o[mt][i][2] *= alpha1; o[mt][i][3] *= alpha1; }
        }

#pragma unroll
        for (int kk = 0; kk < FW_BN / 16; kk++)
        {
            u32 a[2][4];
#pragma unroll
            for (int mt = 0; mt < 2; mt++)
            {
                a[mt][0] = pack_bf16x2(s[mt][2 * kk][0], s[mt][2 * kk][1]);
                a[mt][1] = pack_bf16x2(s[mt][2 * kk][2], s[mt][2 * kk][3]);
                a[mt][2] = pack_bf16x2(s[mt][2 * kk + 1][0], s[mt][2 * kk + 1][1]);
                a[mt][3] = pack_bf16x2(s[mt][2 * kk + 1][2], s[mt][2 * kk + 1][3]);
            }
#pragma unroll
            for (int dt = 0; dt < D / 8; dt += 2)
            {
                int mi = lane >> 3;
                int key = kk * 16 + (mi & 1) * 8 + (lane & 7);
                int col = (dt + (mi >> 1)) * 8;
                u32 b0, b1, b2, b3;
                ldmatrix_x4_trans(smem_addr(vs + key * STRIDE + col), b0, b1, b2, b3);
#pragma unroll
                for (int mt = 0; mt < 2; mt++)
                {
                    mma_bf16(o[mt][dt], a[mt][0], a[mt][1], a[mt][2], a[mt][3], b0, b1);
                    mma_bf16(o[mt][dt + 1], a[mt][0], a[mt][1], a[mt][2], a[mt][3], b2, b3);
                }
            }
        }
        __syncthreads();
    }

#pragma unroll
    for (int mt = 0; mt < 2; mt++)
    {
        float l0 = l[mt][0], l1 = l[mt][1];
        l0 += __shfl_xor_sync(0xffffffffu, l0, 1); l0 += __shfl_xor_sync(0xffffffffu, l0, 2);
        l1 += __shfl_xor_sync(0xffffffffu, l1, 1); l1 += __shfl_xor_sync(0xffffffffu, l1, 2);
        float inv0 = l0 > 0.f ? 1.f / l0 : 0.f, inv1 = l1 > 0.f ? 1.f / l1 : 0.f;
        const int row0 = q0 + warp * 32 + mt * 16 + g, row1 = row0 + 8;
        if (lse != 0 && t4 == 0)
        {
            // log2 of the row's softmax normaliser in the scaled-logit units: p = 2^(s · scale_log2 − lse).
            if (row0 < n) lse[(long)h * n + row0] = m[mt][0] + log2f(l0);
            if (row1 < n) lse[(long)h * n + row1] = m[mt][1] + log2f(l1);
        }
#pragma unroll
        for (int dt = 0; dt < D / 8; dt++)
        {
            int col = dt * 8 + t4 * 2;
            if (row0 < n) *(u32*)(O + (long)row0 * q_stride + (long)h * D + col) = pack_bf16x2(o[mt][dt][0] * inv0, o[mt][dt][1] * inv0);
            if (row1 < n) *(u32*)(O + (long)row1 * q_stride + (long)h * D + col) = pack_bf16x2(o[mt][dt][2] * inv1, o[mt][dt][3] * inv1);
        }
    }
}

#define FLASH_PREFILL(D)                                                                                                \
    extern "C" __global__ void __launch_bounds__(FW_THREADS) flash_prefill_d##D(const bf16_t* __restrict__ q,          \
        const bf16_t* __restrict__ k, const bf16_t* __restrict__ v, bf16_t* __restrict__ o, float* __restrict__ lse, int n,  \
        int heads, int kv_heads, float scale_log2)                                                                           \
    { pdl_prologue();                                                                                                                        \
        flash_prefill_impl<D>(q, k, v, o, lse, n, heads, kv_heads, scale_log2);                                         \
    }

#if UNCOMP_WANTS_D(32)
FLASH_PREFILL(32)
#endif
#if UNCOMP_WANTS_D(64)
FLASH_PREFILL(64)
#endif
#if UNCOMP_WANTS_D(128)
FLASH_PREFILL(128)
#endif
