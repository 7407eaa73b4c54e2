// Split-KV ("flash-decoding") attention for one decode step over a ragged per-(sequence, unit) KV arena.
// One launch covers every unit of a layer and every sequence of the batch: grid (splits, units, batch rows).
// A unit is a KV head (its query heads share every K/V read) or a single query head. Each block scores the
// query heads of its unit against a chunk of the unit's cached tokens — plus the step's own new key/value,
// which sits at index `len` — and writes a partial (max, sum, weighted values) that decode_attention_combine
// merges. Chunks past a unit's length write an empty partial, so the grid can stay fixed (CUDA graphs) while
// lengths grow on the device.

#define DA_THREADS 128
#define DA_GMAX 8

__device__ __forceinline__ void bf16x8_to_f32(uint4 v, float* f)
{
    f[0] = bf_lo(v.x); f[1] = bf_hi(v.x); f[2] = bf_lo(v.y); f[3] = bf_hi(v.y);
    f[4] = bf_lo(v.z); f[5] = bf_hi(v.z); f[6] = bf_lo(v.w); f[7] = bf_hi(v.w);
}

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
    constexpr int UNROLL = 4;
    extern __shared__ float sh[];           // scores [G][chunk], then partial sums [WARPS][GMAX][D]
    __shared__ float stat_m[GMAX], stat_l[GMAX];

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
    float* scores = sh;
    float* red = sh + G * chunk;

    // Phase 1: scores (log2 domain) of every head of the unit for every token of the chunk.
    {
        const int sub = lane / LPT, piece = lane % LPT;
        float qf[GMAX][8];
#pragma unroll
        for (int gi = 0; gi < GMAX; gi++)
        {
            if (gi < G) bf16x8_to_f32(*(const uint4*)(q + ((long)b * heads + h0 + gi) * D + piece * 8), qf[gi]);
            else
            {
#pragma unroll
                for (int e = 0; e < 8; e++) qf[gi][e] = 0.f;
            }
        }
        for (int base = warp * TPW; base < count; base += WARPS * TPW * UNROLL)
        {
            uint4 kv4[UNROLL];
#pragma unroll
            for (int r = 0; r < UNROLL; r++)
            {
                int i = base + r * WARPS * TPW + sub;
                int tok = start + i;
                if (i < count) kv4[r] = *(const uint4*)((tok < len ? kc + (long)tok * D : kn) + piece * 8);
                else kv4[r] = make_uint4(0u, 0u, 0u, 0u);
            }
#pragma unroll
            for (int r = 0; r < UNROLL; r++)
            {
                int i = base + r * WARPS * TPW + sub;
                float kf[8];
                bf16x8_to_f32(kv4[r], kf);
#pragma unroll
                for (int gi = 0; gi < GMAX; gi++)
                {
                    if (gi >= G) break;
                    float dot = 0.f;
#pragma unroll
                    for (int e = 0; e < 8; e++) dot += qf[gi][e] * kf[e];
#pragma unroll
                    for (int o = LPT / 2; o > 0; o >>= 1) dot += __shfl_xor_sync(0xffffffffu, dot, o);
                    if (piece == 0 && i < count) scores[gi * chunk + i] = dot * scale_log2;
                }
            }
        }
    }
    __syncthreads();

    // Phase 2: per-head max and sum over the chunk; scores become unnormalised probabilities.
    for (int gi = warp; gi < G; gi += WARPS)
    {
        float mx = NEG_INF;
        for (int i = lane; i < count; i += 32) mx = fmaxf(mx, scores[gi * chunk + i]);
        mx = warp_max(mx);
        float sum = 0.f;
        for (int i = lane; i < count; i += 32)
        {
            float p = exp2f(scores[gi * chunk + i] - mx);
            scores[gi * chunk + i] = p;
            sum += p;
        }
        sum = warp_sum(sum);
        if (lane == 0) { stat_m[gi] = mx; stat_l[gi] = sum; }
    }
    __syncthreads();

    // Phase 3: probability-weighted values. Thread = (column group of 8, token lane).
    {
        const int cg = threadIdx.x % LPT, tl = threadIdx.x / LPT;
        constexpr int LANES = DA_THREADS / LPT;
        float acc[GMAX][8];
#pragma unroll
        for (int gi = 0; gi < GMAX; gi++)
        {
#pragma unroll
            for (int e = 0; e < 8; e++) acc[gi][e] = 0.f;
        }
        for (int base = tl; base < count; base += LANES * UNROLL)
        {
            uint4 vv[UNROLL];
#pragma unroll
            for (int r = 0; r < UNROLL; r++)
            {
                int i = base + r * LANES;
                int tok = start + i;
                if (i < count) vv[r] = *(const uint4*)((tok < len ? vc + (long)tok * D : vn) + cg * 8);
                else vv[r] = make_uint4(0u, 0u, 0u, 0u);
            }
#pragma unroll
            for (int r = 0; r < UNROLL; r++)
            {
                int i = base + r * LANES;
                if (i >= count) break;
                float vf[8];
                bf16x8_to_f32(vv[r], vf);
#pragma unroll
                for (int gi = 0; gi < GMAX; gi++)
                {
                    if (gi >= G) break;
                    float p = scores[gi * chunk + i];
#pragma unroll
                    for (int e = 0; e < 8; e++) acc[gi][e] += p * vf[e];
                }
            }
        }
        // Sum the token lanes inside the warp (lanes with equal cg differ by multiples of LPT), then across warps.
#pragma unroll
        for (int gi = 0; gi < GMAX; gi++)
        {
#pragma unroll
            for (int e = 0; e < 8; e++)
            {
#pragma unroll
                for (int o = LPT; o < 32; o <<= 1) acc[gi][e] += __shfl_xor_sync(0xffffffffu, acc[gi][e], o);
            }
        }
        if (lane < LPT)
        {
#pragma unroll
            for (int gi = 0; gi < GMAX; gi++)
            {
                if (gi >= G) break;
#pragma unroll
                for (int e = 0; e < 8; e++) red[(warp * GMAX + gi) * D + cg * 8 + e] = acc[gi][e];
            }
        }
    }
    __syncthreads();
    for (int idx = threadIdx.x; idx < G * D; idx += DA_THREADS)
    {
        int gi = idx / D, dim = idx - gi * D;
        float s = 0.f;
#pragma unroll
        for (int w = 0; w < WARPS; w++) s += red[(w * GMAX + gi) * D + dim];
        part_o[(((long)b * heads + h0 + gi) * splits + split) * D + dim] = s;
    }
    if (threadIdx.x < G)
    {
        long idx = ((long)b * heads + h0 + threadIdx.x) * splits + split;
        part_ml[idx * 2] = stat_m[threadIdx.x];
        part_ml[idx * 2 + 1] = stat_l[threadIdx.x];
    }
}

#define DECODE_PARTIAL(D, G)                                                                                                \
    extern "C" __global__ void __launch_bounds__(DA_THREADS) decode_attention_partial_d##D##_g##G(const bf16_t* __restrict__ q, \
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
// Grid: (heads, batch rows); block: d threads (a multiple of 32); dynamic shared memory: splits floats.
extern "C" __global__ void decode_attention_combine(const float* __restrict__ part_o, const float* __restrict__ part_ml,
    bf16_t* __restrict__ out, int heads, int splits, int d)
{
    extern __shared__ float weight[];
    __shared__ float red[32];
    const int h = blockIdx.x, b = blockIdx.y, tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, warps = blockDim.x >> 5;
    const long base = ((long)b * heads + h) * splits;
    float M = NEG_INF;
    for (int s = tid; s < splits; s += blockDim.x) M = fmaxf(M, part_ml[(base + s) * 2]);
    M = warp_max(M);
    if (lane == 0) red[warp] = M;
    __syncthreads();
    M = NEG_INF;
    for (int w = 0; w < warps; w++) M = fmaxf(M, red[w]);
    __syncthreads();
    float L = 0.f;
    for (int s = tid; s < splits; s += blockDim.x)
    {
        float m = part_ml[(base + s) * 2];
        float wgt = m == NEG_INF ? 0.f : exp2f(m - M);
        weight[s] = wgt;
        L += wgt * part_ml[(base + s) * 2 + 1];
    }
    L = block_sum(L); // synchronises, so every weight is visible below
    float acc = 0.f;
    for (int s = 0; s < splits; s++)
    {
        float wgt = weight[s];
        if (wgt != 0.f) acc += wgt * part_o[(base + s) * d + tid];
    }
    out[((long)b * heads + h) * d + tid] = f2bf(acc / L);
}
