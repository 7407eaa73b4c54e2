// Causal prefill attention, flash-attention style (online softmax over 64-key tiles, tensor cores through
// mma.sync m16n8k16 bf16 with fp32 accumulation), with grouped-query attention.
// q, o: [n, heads, D] bf16; k, v: [n, kv_heads, D] bf16. Block: 8 warps × 16 query rows; grid: (ceil(n/128), heads).
// K/V tiles are double-buffered in shared memory with cp.async; rows are padded by 16 bytes so ldmatrix is
// bank-conflict free. Probabilities are rounded to bf16 for the P·V product, as FlashAttention-2 does.

#define FA_BM 128
#define FA_BN 64
#define FA_THREADS 256

__device__ __forceinline__ float fast_exp2(float x)
{
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
}

template <int D>
__device__ __forceinline__ void flash_prefill_impl(const bf16_t* __restrict__ Q, const bf16_t* __restrict__ K, const bf16_t* __restrict__ V,
    bf16_t* __restrict__ O, int n, int heads, int kv_heads, float scale_log2)
{
    extern __shared__ __attribute__((aligned(16))) unsigned char smem_raw[];
    constexpr int STRIDE = D + 8;
    constexpr int TILE = FA_BN * STRIDE;
    bf16_t* smem = (bf16_t*)smem_raw; // [stage 0..1][K | V][FA_BN][STRIDE]

    const int qb = gridDim.x - 1 - blockIdx.x; // longest rows first
    const int h = blockIdx.y;
    const int kvh = h / (heads / kv_heads);
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int g = lane >> 2, t4 = lane & 3;
    const int q0 = qb * FA_BM;
    const long q_stride = (long)heads * D, kv_stride = (long)kv_heads * D;
    const int row0 = q0 + warp * 16 + g, row1 = row0 + 8;

    u32 qa[D / 16][4];
    {
        const bf16_t* p0 = Q + (long)row0 * q_stride + (long)h * D;
        const bf16_t* p1 = Q + (long)row1 * q_stride + (long)h * D;
#pragma unroll
        for (int kk = 0; kk < D / 16; kk++)
        {
            int c = kk * 16 + t4 * 2;
            qa[kk][0] = row0 < n ? *(const u32*)(p0 + c) : 0u;
            qa[kk][1] = row1 < n ? *(const u32*)(p1 + c) : 0u;
            qa[kk][2] = row0 < n ? *(const u32*)(p0 + c + 8) : 0u;
            qa[kk][3] = row1 < n ? *(const u32*)(p1 + c + 8) : 0u;
        }
    }

    float o[D / 8][4];
#pragma unroll
    for (int i = 0; i < D / 8; i++) { o[i][0] = 0.f; o[i][1] = 0.f; o[i][2] = 0.f; o[i][3] = 0.f; }
    float m0 = NEG_INF, m1 = NEG_INF, l0 = 0.f, l1 = 0.f;

    const int last_kb = min((q0 + FA_BM - 1) / FA_BN, (n - 1) / FA_BN);

    auto load_tile = [&](int kb, int stage) {
        bf16_t* ks = smem + stage * 2 * TILE;
        bf16_t* vs = ks + TILE;
        constexpr int CHUNKS = FA_BN * (D / 8);
        for (int c = threadIdx.x; c < CHUNKS; c += FA_THREADS)
        {
            int r = c / (D / 8), col = (c % (D / 8)) * 8;
            int key = kb * FA_BN + r;
            int ok = key < n ? 16 : 0;
            long src = (long)(key < n ? key : 0) * kv_stride + (long)kvh * D + col;
            cp_async16(smem_addr(ks + r * STRIDE + col), K + src, ok);
            cp_async16(smem_addr(vs + r * STRIDE + col), V + src, ok);
        }
        cp_async_commit();
    };

    load_tile(0, 0);
    for (int kb = 0; kb <= last_kb; kb++)
    {
        const int stage = kb & 1;
        if (kb + 1 <= last_kb) { load_tile(kb + 1, stage ^ 1); cp_async_wait<1>(); }
        else { cp_async_wait<0>(); }
        __syncthreads();
        const bf16_t* ks = smem + stage * 2 * TILE;
        const bf16_t* vs = ks + TILE;

        float s[FA_BN / 8][4];
#pragma unroll
        for (int i = 0; i < FA_BN / 8; i++) { s[i][0] = 0.f; s[i][1] = 0.f; s[i][2] = 0.f; s[i][3] = 0.f; }
#pragma unroll
        for (int kk = 0; kk < D / 16; kk++)
        {
#pragma unroll
            for (int nt = 0; nt < FA_BN / 8; nt += 2)
            {
                int mi = lane >> 3;
                int key = (nt + (mi >> 1)) * 8 + (lane & 7);
                int col = kk * 16 + (mi & 1) * 8;
                u32 b0, b1, b2, b3;
                ldmatrix_x4(smem_addr(ks + key * STRIDE + col), b0, b1, b2, b3);
                mma_bf16(s[nt], qa[kk][0], qa[kk][1], qa[kk][2], qa[kk][3], b0, b1);
                mma_bf16(s[nt + 1], qa[kk][0], qa[kk][1], qa[kk][2], qa[kk][3], b2, b3);
            }
        }

        const bool edge = kb * FA_BN + FA_BN - 1 > q0 || kb * FA_BN + FA_BN > n;
        float mx0 = NEG_INF, mx1 = NEG_INF;
#pragma unroll
        for (int nt = 0; nt < FA_BN / 8; nt++)
        {
#pragma unroll
            for (int e = 0; e < 2; e++)
            {
                int key = kb * FA_BN + nt * 8 + t4 * 2 + e;
                float v0 = s[nt][e] * scale_log2, v1 = s[nt][2 + e] * scale_log2;
                if (edge)
                {
                    if (key > row0 || key >= n) v0 = NEG_INF;
                    if (key > row1 || key >= n) v1 = NEG_INF;
                }
                s[nt][e] = v0; s[nt][2 + e] = v1;
                mx0 = fmaxf(mx0, v0); mx1 = fmaxf(mx1, v1);
            }
        }
        mx0 = fmaxf(mx0, __shfl_xor_sync(0xffffffffu, mx0, 1)); mx0 = fmaxf(mx0, __shfl_xor_sync(0xffffffffu, mx0, 2));
        mx1 = fmaxf(mx1, __shfl_xor_sync(0xffffffffu, mx1, 1)); mx1 = fmaxf(mx1, __shfl_xor_sync(0xffffffffu, mx1, 2));
        float mn0 = fmaxf(m0, mx0), mn1 = fmaxf(m1, mx1);
        float ref0 = mn0 == NEG_INF ? 0.f : mn0, ref1 = mn1 == NEG_INF ? 0.f : mn1;
        float alpha0 = fast_exp2(m0 - ref0), alpha1 = fast_exp2(m1 - ref1);
        float sum0 = 0.f, sum1 = 0.f;
#pragma unroll
        for (int nt = 0; nt < FA_BN / 8; nt++)
        {
#pragma unroll
            for (int e = 0; e < 2; e++)
            {
                float p0 = fast_exp2(s[nt][e] - ref0), p1 = fast_exp2(s[nt][2 + e] - ref1);
                s[nt][e] = p0; s[nt][2 + e] = p1;
                sum0 += p0; sum1 += p1;
            }
        }
        l0 = l0 * alpha0 + sum0; l1 = l1 * alpha1 + sum1;
        m0 = mn0; m1 = mn1;
#pragma unroll
        for (int i = 0; i < D / 8; i++) { o[i][0] *= alpha0; o[i][1] *= alpha0; o[i][2] *= alpha1; o[i][3] *= alpha1; }

#pragma unroll
        for (int kk = 0; kk < FA_BN / 16; kk++)
        {
            u32 a0 = pack_bf16x2(s[2 * kk][0], s[2 * kk][1]);
            u32 a1 = pack_bf16x2(s[2 * kk][2], s[2 * kk][3]);
            u32 a2 = pack_bf16x2(s[2 * kk + 1][0], s[2 * kk + 1][1]);
            u32 a3 = pack_bf16x2(s[2 * kk + 1][2], s[2 * kk + 1][3]);
#pragma unroll
            for (int dt = 0; dt < D / 8; dt += 2)
            {
                int mi = lane >> 3;
                int key = kk * 16 + (mi & 1) * 8 + (lane & 7);
                int col = (dt + (mi >> 1)) * 8;
                u32 b0, b1, b2, b3;
                ldmatrix_x4_trans(smem_addr(vs + key * STRIDE + col), b0, b1, b2, b3);
                mma_bf16(o[dt], a0, a1, a2, a3, b0, b1);
                mma_bf16(o[dt + 1], a0, a1, a2, a3, b2, b3);
            }
        }
        __syncthreads(); // the next iteration's prefetch overwrites the other stage
    }

    l0 += __shfl_xor_sync(0xffffffffu, l0, 1); l0 += __shfl_xor_sync(0xffffffffu, l0, 2);
    l1 += __shfl_xor_sync(0xffffffffu, l1, 1); l1 += __shfl_xor_sync(0xffffffffu, l1, 2);
    float inv0 = l0 > 0.f ? 1.f / l0 : 0.f, inv1 = l1 > 0.f ? 1.f / l1 : 0.f;
#pragma unroll
    for (int dt = 0; dt < D / 8; dt++)
    {
        int col = dt * 8 + t4 * 2;
        if (row0 < n) *(u32*)(O + (long)row0 * q_stride + (long)h * D + col) = pack_bf16x2(o[dt][0] * inv0, o[dt][1] * inv0);
        if (row1 < n) *(u32*)(O + (long)row1 * q_stride + (long)h * D + col) = pack_bf16x2(o[dt][2] * inv1, o[dt][3] * inv1);
    }
}

#define FLASH_PREFILL(D)                                                                                                     \
    extern "C" __global__ void __launch_bounds__(FA_THREADS) flash_prefill_d##D(const bf16_t* __restrict__ q,               \
        const bf16_t* __restrict__ k, const bf16_t* __restrict__ v, bf16_t* __restrict__ o, int n, int heads, int kv_heads,  \
        float scale_log2)                                                                                                    \
    {                                                                                                                        \
        flash_prefill_impl<D>(q, k, v, o, n, heads, kv_heads, scale_log2);                                                   \
    }

FLASH_PREFILL(32)
FLASH_PREFILL(64)
FLASH_PREFILL(128)
