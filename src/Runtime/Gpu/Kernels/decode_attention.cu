// Split-KV ("flash-decoding") attention for one decode step over a ragged per-(sequence, unit) KV arena.
// One launch covers every unit of a layer and every sequence of the batch: grid (splits, units, batch rows).
// A unit is a KV head (its query heads share every K/V read) or a single query head. Each block scores the
// query heads of its unit against a chunk of the unit's cached tokens — plus the step's own new key/value,
// which sits at index `len` — and writes a partial (max, sum, weighted values) that decode_attention_combine
// merges. Chunks past a unit's length write an empty partial, so the grid can stay fixed (CUDA graphs) while
// lengths grow on the device.
//
// One pass over the chunk: a token's K and V rows are loaded together (UNROLL tokens per lane in flight), and
// every lane group keeps its own online softmax (running max, sum and weighted values) over the tokens it
// reads; lane groups merge by shuffles, warps through shared memory. No score array, so a block's shared memory
// does not depend on the chunk and K and V loads are never serialised behind a barrier.

#define DA_THREADS 128
// Experiment hooks (tools/gpu/kernel_lab.py compiles variants with -D; the engine passes neither):
// DA_UNROLL overrides the tokens per lane in flight, DA_MIN_BLOCKS adds a blocks-per-SM launch bound.
#ifdef DA_UNROLL
#define DA_UNROLL_FOR(GMAX) (DA_UNROLL)
#else
#define DA_UNROLL_FOR(GMAX) ((GMAX) >= 8 ? 4 : 8)
#endif
#ifdef DA_MIN_BLOCKS
#define DA_BOUNDS __launch_bounds__(DA_THREADS, DA_MIN_BLOCKS)
#else
#define DA_BOUNDS __launch_bounds__(DA_THREADS)
#endif

__device__ __forceinline__ void bf16x8_to_f32(uint4 v, float* f)
{
    f[0] = bf_lo(v.x); f[1] = bf_hi(v.x); f[2] = bf_lo(v.y); f[3] = bf_hi(v.y);
    f[4] = bf_lo(v.z); f[5] = bf_hi(v.z); f[6] = bf_lo(v.w); f[7] = bf_hi(v.w);
}

// 2^(a − m) for a running-max rescale, 0 when a is −∞ (an empty state), so −∞ − (−∞) never makes a NaN.
__device__ __forceinline__ float rescale_weight(float a, float m) { return a == NEG_INF ? 0.f : exp2f(a - m); }

template <int D, int GMAX>
__device__ __forceinline__ void decode_partial_impl(const bf16_t* __restrict__ q, const bf16_t* __restrict__ new_k,
    const bf16_t* __restrict__ new_v, const bf16_t* __restrict__ arena_k, const bf16_t* __restrict__ arena_v,
    const long long* __restrict__ unit_offset, const int* __restrict__ lengths, const int* __restrict__ slots,
    float* __restrict__ part_o, float* __restrict__ part_ml, long long kv_elements, int total_units, int layer_unit0,
    int heads, int kv_heads, int heads_per_unit, int units_per_kv_head, int chunk, float scale_log2)
{
    constexpr int LPT = D / 8;              // lanes per token: 8 bf16 (16 bytes) each
    constexpr int TPW = 32 / LPT;           // tokens per warp step
    constexpr int WARPS = DA_THREADS / 32;
    constexpr int STEP = WARPS * TPW;       // tokens per block step
    constexpr int UNROLL = DA_UNROLL_FOR(GMAX);   // tokens per lane in flight: 2 × UNROLL 16-byte loads
    extern __shared__ float sh[];           // weighted values [WARPS][GMAX][D], then maxima and sums [WARPS][GMAX] each
    float* red_o = sh;
    float* red_m = sh + WARPS * GMAX * D;
    float* red_l = red_m + WARPS * GMAX;

    const int b = blockIdx.z, j = blockIdx.y, split = blockIdx.x, splits = gridDim.x;
    const int slot = slots[b];
    const int u = layer_unit0 + j;
    const int len = lengths[(long)slot * total_units + u];
    const int total = len + 1;
    const int start = split * chunk;
    const int G = heads_per_unit;
    const int h0 = j * heads_per_unit;
    const int kvh = j / units_per_kv_head;
    if (start >= total)
    {
        if (threadIdx.x < G)
        {
            long idx = ((long)b * heads + h0 + threadIdx.x) * splits + split;
            part_ml[idx * 2] = NEG_INF;
            part_ml[idx * 2 + 1] = 0.f;
        }
        return;
    }

    const int count = min(start + chunk, total) - start;
    const bf16_t* kc = arena_k + (long)slot * kv_elements + unit_offset[u];
    const bf16_t* vc = arena_v + (long)slot * kv_elements + unit_offset[u];
    const bf16_t* kn = new_k + ((long)b * kv_heads + kvh) * D;
    const bf16_t* vn = new_v + ((long)b * kv_heads + kvh) * D;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int sub = lane / LPT, piece = lane % LPT;

    float qf[GMAX][8];
    float m[GMAX], l[GMAX], acc[GMAX][8];
#pragma unroll
    for (int gi = 0; gi < GMAX; gi++)
    {
        if (gi < G) bf16x8_to_f32(*(const uint4*)(q + ((long)b * heads + h0 + gi) * D + piece * 8), qf[gi]);
        else
        {
#pragma unroll
            for (int e = 0; e < 8; e++) qf[gi][e] = 0.f;
        }
        m[gi] = NEG_INF;
        l[gi] = 0.f;
#pragma unroll
        for (int e = 0; e < 8; e++) acc[gi][e] = 0.f;
    }

    // The loop bound is warp-uniform (base), so every lane reaches the shuffles; a lane's own token is base + sub.
    for (int base = warp * TPW; base < count; base += STEP * UNROLL)
    {
        uint4 kr[UNROLL], vr[UNROLL];
#pragma unroll
        for (int r = 0; r < UNROLL; r++)
        {
            int i = base + r * STEP + sub;
            int tok = start + i;
            if (i < count)
            {
                kr[r] = *(const uint4*)((tok < len ? kc + (long)tok * D : kn) + piece * 8);
                vr[r] = *(const uint4*)((tok < len ? vc + (long)tok * D : vn) + piece * 8);
            }
            else
            {
                kr[r] = make_uint4(0u, 0u, 0u, 0u);
                vr[r] = make_uint4(0u, 0u, 0u, 0u);
            }
        }

        float s[UNROLL][GMAX];
#pragma unroll
        for (int r = 0; r < UNROLL; r++)
        {
            const bool valid = base + r * STEP + sub < count;
            float kf[8];
            bf16x8_to_f32(kr[r], kf);
#pragma unroll
            for (int gi = 0; gi < GMAX; gi++)
            {
                float dot = 0.f;
#pragma unroll
                for (int e = 0; e < 8; e++) dot += qf[gi][e] * kf[e];
#pragma unroll
                for (int o = LPT / 2; o > 0; o >>= 1) dot += __shfl_xor_sync(0xffffffffu, dot, o);
                s[r][gi] = valid && gi < G ? dot * scale_log2 : NEG_INF;
            }
        }

        // One rescale per head for the UNROLL tokens, then their values; V is widened token by token (few registers).
        float mx[GMAX];
#pragma unroll
        for (int gi = 0; gi < GMAX; gi++)
        {
            mx[gi] = m[gi];
#pragma unroll
            for (int r = 0; r < UNROLL; r++) mx[gi] = fmaxf(mx[gi], s[r][gi]);
            const float corr = rescale_weight(m[gi], mx[gi]);   // 0 while both are −∞ (l and acc are still 0)
            l[gi] *= corr;
#pragma unroll
            for (int e = 0; e < 8; e++) acc[gi][e] *= corr;
            m[gi] = mx[gi];
        }
#pragma unroll
        for (int r = 0; r < UNROLL; r++)
        {
            float vf[8];
            bf16x8_to_f32(vr[r], vf);
#pragma unroll
            for (int gi = 0; gi < GMAX; gi++)
            {
                const float p = rescale_weight(s[r][gi], mx[gi]);   // 0 for an invalid token (−∞)
                l[gi] += p;
#pragma unroll
                for (int e = 0; e < 8; e++) acc[gi][e] += p * vf[e];
            }
        }
    }

    // Merge the lane groups of the warp (lanes with equal `piece` differ by multiples of LPT).
#pragma unroll
    for (int o = LPT; o < 32; o <<= 1)
    {
#pragma unroll
        for (int gi = 0; gi < GMAX; gi++)
        {
            const float mo = __shfl_xor_sync(0xffffffffu, m[gi], o);
            const float lo = __shfl_xor_sync(0xffffffffu, l[gi], o);
            const float mx = fmaxf(m[gi], mo);
            const float a = rescale_weight(m[gi], mx), c = rescale_weight(mo, mx);
            l[gi] = l[gi] * a + lo * c;
#pragma unroll
            for (int e = 0; e < 8; e++)
            {
                const float ao = __shfl_xor_sync(0xffffffffu, acc[gi][e], o);
                acc[gi][e] = acc[gi][e] * a + ao * c;
            }
            m[gi] = mx;
        }
    }

    if (lane < LPT)
    {
#pragma unroll
        for (int gi = 0; gi < GMAX; gi++)
        {
            if (gi >= G) break;
#pragma unroll
            for (int e = 0; e < 8; e++) red_o[(warp * GMAX + gi) * D + piece * 8 + e] = acc[gi][e];
            if (lane == 0)
            {
                red_m[warp * GMAX + gi] = m[gi];
                red_l[warp * GMAX + gi] = l[gi];
            }
        }
    }
    __syncthreads();

    // Merge the warps: the block's partial is relative to its own maximum.
    for (int idx = threadIdx.x; idx < G * D; idx += DA_THREADS)
    {
        int gi = idx / D, dim = idx - gi * D;
        float M = NEG_INF;
#pragma unroll
        for (int w = 0; w < WARPS; w++) M = fmaxf(M, red_m[w * GMAX + gi]);
        float sum = 0.f;
#pragma unroll
        for (int w = 0; w < WARPS; w++) sum += rescale_weight(red_m[w * GMAX + gi], M) * red_o[(w * GMAX + gi) * D + dim];
        part_o[(((long)b * heads + h0 + gi) * splits + split) * D + dim] = sum;
    }
    if (threadIdx.x < G)
    {
        const int gi = threadIdx.x;
        float M = NEG_INF;
#pragma unroll
        for (int w = 0; w < WARPS; w++) M = fmaxf(M, red_m[w * GMAX + gi]);
        float L = 0.f;
#pragma unroll
        for (int w = 0; w < WARPS; w++) L += rescale_weight(red_m[w * GMAX + gi], M) * red_l[w * GMAX + gi];
        long idx = ((long)b * heads + h0 + gi) * splits + split;
        part_ml[idx * 2] = M;
        part_ml[idx * 2 + 1] = L;
    }
}

#define DECODE_PARTIAL(D, G)                                                                                                \
    extern "C" __global__ void DA_BOUNDS decode_attention_partial_d##D##_g##G(const bf16_t* __restrict__ q, \
        const bf16_t* __restrict__ new_k, const bf16_t* __restrict__ new_v, const bf16_t* __restrict__ arena_k,             \
        const bf16_t* __restrict__ arena_v, const long long* __restrict__ unit_offset, const int* __restrict__ lengths,     \
        const int* __restrict__ slots, float* __restrict__ part_o, float* __restrict__ part_ml, long long kv_elements,      \
        int total_units, int layer_unit0, int heads, int kv_heads, int heads_per_unit, int units_per_kv_head, int chunk,    \
        float scale_log2)                                                                                                   \
    {                                                                                                                       \
        decode_partial_impl<D, G>(q, new_k, new_v, arena_k, arena_v, unit_offset, lengths, slots, part_o, part_ml,             \
            kv_elements, total_units, layer_unit0, heads, kv_heads, heads_per_unit, units_per_kv_head, chunk, scale_log2);  \
    }

// One instantiation per head dimension and (power-of-two) query-head group bound, so register arrays fit the group.
#if UNCOMP_WANTS_D(32) && UNCOMP_WANTS_G(1)
DECODE_PARTIAL(32, 1)
#endif
#if UNCOMP_WANTS_D(32) && UNCOMP_WANTS_G(2)
DECODE_PARTIAL(32, 2)
#endif
#if UNCOMP_WANTS_D(32) && UNCOMP_WANTS_G(4)
DECODE_PARTIAL(32, 4)
#endif
#if UNCOMP_WANTS_D(32) && UNCOMP_WANTS_G(8)
DECODE_PARTIAL(32, 8)
#endif
#if UNCOMP_WANTS_D(64) && UNCOMP_WANTS_G(1)
DECODE_PARTIAL(64, 1)
#endif
#if UNCOMP_WANTS_D(64) && UNCOMP_WANTS_G(2)
DECODE_PARTIAL(64, 2)
#endif
#if UNCOMP_WANTS_D(64) && UNCOMP_WANTS_G(4)
DECODE_PARTIAL(64, 4)
#endif
#if UNCOMP_WANTS_D(64) && UNCOMP_WANTS_G(8)
DECODE_PARTIAL(64, 8)
#endif
#if UNCOMP_WANTS_D(128) && UNCOMP_WANTS_G(1)
DECODE_PARTIAL(128, 1)
#endif
#if UNCOMP_WANTS_D(128) && UNCOMP_WANTS_G(2)
DECODE_PARTIAL(128, 2)
#endif
#if UNCOMP_WANTS_D(128) && UNCOMP_WANTS_G(4)
DECODE_PARTIAL(128, 4)
#endif
#if UNCOMP_WANTS_D(128) && UNCOMP_WANTS_G(8)
DECODE_PARTIAL(128, 8)
#endif

// Merges the split partials of each (row, query head): out = Σ_s 2^(m_s−M)·o_s / Σ_s 2^(m_s−M)·l_s.
// Grid: (heads, batch rows); block: DC_THREADS threads. Each thread owns 4 columns (float4) of one split lane;
// the block's lanes walk the splits side by side (many loads in flight) and add up through shared memory.
// Dynamic shared memory: (splits + DC_THREADS * 4) floats.
#define DC_THREADS 256
extern "C" __global__ void __launch_bounds__(DC_THREADS) decode_attention_combine(const float* __restrict__ part_o,
    const float* __restrict__ part_ml, bf16_t* __restrict__ out, int heads, int splits, int d)
{
    extern __shared__ float weight[];
    float* lane_sum = weight + splits;
    __shared__ float red[32];
    const int h = blockIdx.x, b = blockIdx.y, tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const long base = ((long)b * heads + h) * splits;
    float M = NEG_INF;
    for (int s = tid; s < splits; s += DC_THREADS) M = fmaxf(M, part_ml[(base + s) * 2]);
    M = warp_max(M);
    if (lane == 0) red[warp] = M;
    __syncthreads();
    M = NEG_INF;
    for (int w = 0; w < DC_THREADS / 32; w++) M = fmaxf(M, red[w]);
    float L = 0.f;
    for (int s = tid; s < splits; s += DC_THREADS)
    {
        float m = part_ml[(base + s) * 2];
        float wgt = m == NEG_INF ? 0.f : exp2f(m - M);
        weight[s] = wgt;
        L += wgt * part_ml[(base + s) * 2 + 1];
    }
    L = block_sum(L); // synchronises, so every weight is visible below

    const int quads = d / 4, lanes = DC_THREADS / quads;
    const int c = tid % quads, sl = tid / quads;
    float a0 = 0.f, a1 = 0.f, a2 = 0.f, a3 = 0.f;
#pragma unroll 4
    for (int s = sl; s < splits; s += lanes)
    {
        const float wgt = weight[s];
        if (wgt == 0.f) continue;   // an empty split wrote no values (its part_o is stale)
        const float4 v = ((const float4*)(part_o + (base + s) * d))[c];
        a0 += wgt * v.x; a1 += wgt * v.y; a2 += wgt * v.z; a3 += wgt * v.w;
    }
    lane_sum[sl * d + c * 4 + 0] = a0;
    lane_sum[sl * d + c * 4 + 1] = a1;
    lane_sum[sl * d + c * 4 + 2] = a2;
    lane_sum[sl * d + c * 4 + 3] = a3;
    __syncthreads();
    for (int col = tid; col < d; col += DC_THREADS)
    {
        float t = 0.f;
        for (int k = 0; k < lanes; k++) t += lane_sum[k * d + col];
        out[((long)b * heads + h) * d + col] = f2bf(t / L);
    }
}
