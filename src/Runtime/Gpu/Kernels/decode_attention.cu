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

// A chunk past the unit's length: an empty partial (maximum −∞, sum 0; its values are never read).
__device__ __forceinline__ void decode_empty_partial(float* __restrict__ part_ml, int b, int heads, int h0, int G, int split, int splits)
{
    if (threadIdx.x < G)
    {
        long idx = ((long)b * heads + h0 + threadIdx.x) * splits + split;
        part_ml[idx * 2] = NEG_INF;
        part_ml[idx * 2 + 1] = 0.f;
    }
}

// The block's (batch row, unit, split) of a split-KV decode launch, grid (splits, units, rows): its chunk of the
// unit's cached tokens plus the step's own key/value at index len, and where their K and V rows lie.
struct DecodeBlock
{
    int b, split, splits, G, h0, start, count, len;
    const bf16_t *kc, *vc, *kn, *vn;   // the unit's cached K and V rows of the row's slot; the step's new K and V row
};

// Fills blk for this block; for a chunk wholly past the unit's length writes an empty partial and returns false.
template <int D>
__device__ __forceinline__ bool decode_block(DecodeBlock& blk, const bf16_t* __restrict__ new_k, const bf16_t* __restrict__ new_v,
    const bf16_t* __restrict__ arena_k, const bf16_t* __restrict__ arena_v, const long long* __restrict__ unit_offset,
    const int* __restrict__ lengths, const int* __restrict__ slots, float* __restrict__ part_ml, long long kv_elements,
    int total_units, int layer_unit0, int heads, int kv_heads, int heads_per_unit, int units_per_kv_head, int chunk)
{
    const int b = blockIdx.z, j = blockIdx.y, split = blockIdx.x;
    const int slot = slots[b];
    const int u = layer_unit0 + j;
    const int len = lengths[(long)slot * total_units + u];
    const int total = len + 1;
    const int kvh = j / units_per_kv_head;
    blk.b = b;
    blk.split = split;
    blk.splits = gridDim.x;
    blk.G = heads_per_unit;
    blk.h0 = j * heads_per_unit;
    blk.start = split * chunk;
    blk.len = len;
    if (blk.start >= total)
    {
        decode_empty_partial(part_ml, b, heads, blk.h0, blk.G, split, blk.splits);
        return false;
    }

    blk.count = min(blk.start + chunk, total) - blk.start;
    blk.kc = arena_k + (long)slot * kv_elements + unit_offset[u];
    blk.vc = arena_v + (long)slot * kv_elements + unit_offset[u];
    blk.kn = new_k + ((long)b * kv_heads + kvh) * D;
    blk.vn = new_v + ((long)b * kv_heads + kvh) * D;
    return true;
}

// The block's partial (relative to its own maximum) from its warps' states in shared memory:
// red_o [WARPS][GMAX][D] weighted values, red_m / red_l [WARPS][GMAX] maxima and sums. Synchronises first.
template <int D, int GMAX>
__device__ __forceinline__ void decode_store_partial(const float* red_o, const float* red_m, const float* red_l,
    float* __restrict__ part_o, float* __restrict__ part_ml, int b, int heads, int h0, int G, int split, int splits)
{
    constexpr int WARPS = DA_THREADS / 32;
    __syncthreads();
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

template <int D, int GMAX>
__device__ __forceinline__ void decode_partial_impl(const bf16_t* __restrict__ q, const bf16_t* __restrict__ new_k,
    const bf16_t* __restrict__ new_v, const bf16_t* __restrict__ arena_k, const bf16_t* __restrict__ arena_v,
    const long long* __restrict__ unit_offset, const int* __restrict__ lengths, const int* __restrict__ slots,
    float* __restrict__ part_o, float* __restrict__ part_ml, long long kv_elements, int total_units, int layer_unit0,
    int heads, int kv_heads, int heads_per_unit, int units_per_kv_head, int chunk, float scale_log2, const float* __restrict__,
    const float* __restrict__, const int* __restrict__, const float* __restrict__, bf16_t* __restrict__, bf16_t* __restrict__,
    bf16_t* __restrict__)   // the fused-RoPE arguments: the tensor-core kernel's only (the engine never passes them here)
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

    DecodeBlock blk;
    if (!decode_block<D>(blk, new_k, new_v, arena_k, arena_v, unit_offset, lengths, slots, part_ml, kv_elements, total_units,
                         layer_unit0, heads, kv_heads, heads_per_unit, units_per_kv_head, chunk))
        return;
    const int b = blk.b, G = blk.G, h0 = blk.h0, start = blk.start, count = blk.count, len = blk.len;
    const bf16_t *kc = blk.kc, *vc = blk.vc, *kn = blk.kn, *vn = blk.vn;
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
    decode_store_partial<D, GMAX>(red_o, red_m, red_l, part_o, part_ml, b, heads, h0, G, blk.split, blk.splits);
}

// Tensor-core variant (mma.sync m16n8k16, bf16 in, fp32 accumulation; head dimension 32 or a multiple of 64, at
// most 8 query heads per unit). A warp takes 16 tokens at a time: S = Q·Kᵀ as two 16×8 tiles (query heads in
// the rows, the unit's heads padded to 16 with zeros; tokens in the columns) and Oᵀ += Vᵀ·Pᵀ (dimensions in the
// rows, heads in the columns). Every operand is loaded straight from global memory into the fragment registers
// with 16-byte loads, no shared memory and no shuffles in the dot products: a dot product may sum its dimensions
// in any order, so each lane loads whole 16-byte pieces of a row and the mma's k index is mapped onto the
// dimensions that lane happens to hold (Q is loaded with the same map). The probabilities enter the second product
// as bf16 hi + lo halves (two mma), so P keeps about 16 bits; S and the accumulators are fp32.
// DA_MMA_UNROLL: 16-token groups per warp in flight (each group is 16 16-byte loads per lane).
#ifndef DA_MMA_UNROLL
#define DA_MMA_UNROLL 2
#endif

// prmt: bytes of two words picked by a selector (0x5410: both low halves, 0x7632: both high halves).
__device__ __forceinline__ u32 byte_perm(u32 x, u32 y, u32 selector)
{
    u32 r;
    asm("prmt.b32 %0, %1, %2, %3;" : "=r"(r) : "r"(x), "r"(y), "r"(selector));
    return r;
}

// A lane's V words (two dims each) of one token: for D ≥ 64 the 16-byte pieces at dims p·64 + grp·8, for D = 32
// the 8 bytes at dims grp·4. Word t holds dims v_dim(t, grp) and v_dim(t, grp) + 1. Zeros for a token past the chunk.
template <int D>
__device__ __forceinline__ void load_v_words(u32* w, const bf16_t* row, int grp, bool valid)
{
    if (D == 32)
    {
        const uint2 v = valid ? *(const uint2*)(row + grp * 4) : make_uint2(0u, 0u);
        w[0] = v.x; w[1] = v.y;
    }
    else
    {
#pragma unroll
        for (int p = 0; p < D / 64; p++)
        {
            const uint4 v = valid ? *(const uint4*)(row + p * 64 + grp * 8) : make_uint4(0u, 0u, 0u, 0u);
            w[p * 4] = v.x; w[p * 4 + 1] = v.y; w[p * 4 + 2] = v.z; w[p * 4 + 3] = v.w;
        }
    }
}

template <int D>
__device__ __forceinline__ int v_dim(int t, int grp) { return D == 32 ? grp * 4 + 2 * t : (t >> 2) * 64 + grp * 8 + 2 * (t & 3); }

// Fused RoPE (decode, tensor-core kernel; qkv != 0): the block computes its unit's rotated query heads and the step's
// new key and value from the fp32 q|k|v product row b (+ bias) into shared memory, item for item as qkv_rope does
// (rope_rotate, the same bf16 rounding); the first split's block of each unit also writes them to q_out, k_out and
// v_out for the KV append and the selection (units sharing a KV head write the same k and v). Synchronises.
template <int D>
__device__ __forceinline__ void decode_rope_prologue(const float* __restrict__ qkv, const float* __restrict__ bias,
    const int* __restrict__ positions, const float* __restrict__ inv_freq, bf16_t* __restrict__ q_out,
    bf16_t* __restrict__ k_out, bf16_t* __restrict__ v_out, bf16_t* q_s, bf16_t* k_s, bf16_t* v_s, int b, int h0, int G,
    int kvh, int heads, int kv_heads, bool write)
{
    constexpr int HALF = D / 2;
    const int q_dim = heads * D, kv_dim = kv_heads * D;
    const float* row = qkv + (long)b * (q_dim + 2 * kv_dim);
    const float pos = (float)positions[b];
    const int rotations = (G + 1) * HALF;   // the unit's query heads, then its key head
    for (int item = threadIdx.x; item < rotations + D; item += blockDim.x)
    {
        if (item < rotations)
        {
            const int hh = item / HALF, i = item - hh * HALF;
            const int col = hh < G ? (h0 + hh) * D + i : q_dim + kvh * D + i;
            float s, c;
            sincosf(pos * inv_freq[i], &s, &c);
            float a = row[col], bb = row[col + HALF];
            if (bias != 0) { a += bias[col]; bb += bias[col + HALF]; }
            float r0, r1;
            rope_rotate(a, bb, s, c, r0, r1);
            const bf16_t o0 = f2bf(r0), o1 = f2bf(r1);
            bf16_t* sh = hh < G ? q_s + hh * D : k_s;
            sh[i] = o0; sh[i + HALF] = o1;
            if (write)
            {
                bf16_t* g = hh < G ? q_out + ((long)b * heads + h0 + hh) * D : k_out + ((long)b * kv_heads + kvh) * D;
                g[i] = o0; g[i + HALF] = o1;
            }
        }
        else
        {
            const int j = item - rotations, col = q_dim + kv_dim + kvh * D + j;
            const bf16_t val = f2bf(row[col] + (bias != 0 ? bias[col] : 0.f));
            v_s[j] = val;
            if (write) v_out[((long)b * kv_heads + kvh) * D + j] = val;
        }
    }
    __syncthreads();
}

template <int D, int GMAX>
__device__ __forceinline__ void decode_partial_mma_impl(const bf16_t* __restrict__ q, const bf16_t* __restrict__ new_k,
    const bf16_t* __restrict__ new_v, const bf16_t* __restrict__ arena_k, const bf16_t* __restrict__ arena_v,
    const long long* __restrict__ unit_offset, const int* __restrict__ lengths, const int* __restrict__ slots,
    float* __restrict__ part_o, float* __restrict__ part_ml, long long kv_elements, int total_units, int layer_unit0,
    int heads, int kv_heads, int heads_per_unit, int units_per_kv_head, int chunk, float scale_log2, const float* __restrict__ qkv,
    const float* __restrict__ bias, const int* __restrict__ positions, const float* __restrict__ inv_freq,
    bf16_t* __restrict__ q_out, bf16_t* __restrict__ k_out, bf16_t* __restrict__ v_out)
{
    static_assert((D == 32 || D % 64 == 0) && GMAX <= 8, "the tensor-core decode kernel needs D = 32 or D % 64 == 0 and at most 8 heads per unit");
    constexpr int KP = D / 32;              // K (and Q) pieces per lane and token: dims i·32 + quad·8 … +8
    constexpr int MT = D / 16;              // 16-dimension row tiles of Oᵀ; also the V words (2 dims) per lane and token
    constexpr int WARPS = DA_THREADS / 32;
    constexpr int U = DA_MMA_UNROLL;
    extern __shared__ float sh[];           // as decode_partial_impl: [WARPS][GMAX][D] values, then maxima and sums
    float* red_o = sh;
    float* red_m = sh + WARPS * GMAX * D;
    float* red_l = red_m + WARPS * GMAX;

    DecodeBlock blk;
    if (!decode_block<D>(blk, new_k, new_v, arena_k, arena_v, unit_offset, lengths, slots, part_ml, kv_elements, total_units,
                         layer_unit0, heads, kv_heads, heads_per_unit, units_per_kv_head, chunk))
        return;
    const int b = blk.b, G = blk.G, h0 = blk.h0, start = blk.start, count = blk.count, len = blk.len;
    const bf16_t *kc = blk.kc, *vc = blk.vc, *kn = blk.kn, *vn = blk.vn;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int grp = lane >> 2, quad = lane & 3;   // the mma's groupID and thread-in-group

    // With qkv set, RoPE runs here: q and the new k, v come from shared memory (decode_rope_prologue).
    __shared__ __attribute__((aligned(16))) bf16_t rope_q[GMAX * D], rope_k[D], rope_v[D];
    const bf16_t* qrow = q + ((long)b * heads + h0 + min(grp, G - 1)) * D;
    if (qkv != 0)
    {
        decode_rope_prologue<D>(qkv, bias, positions, inv_freq, q_out, k_out, v_out, rope_q, rope_k, rope_v, b, h0, G,
            (blockIdx.y / units_per_kv_head), heads, kv_heads, blk.split == 0);
        qrow = rope_q + min(grp, G - 1) * D;
        kn = rope_k;
        vn = rope_v;
    }

    // Q as the A operand: row grp = query head grp of the unit (rows 8–15 and heads ≥ G are zero).
    uint4 qa[KP], zero[KP];
    load_row_pieces<D>(qa, qrow, quad, grp < G);
    load_row_pieces<D>(zero, qrow, quad, false);

    float m_run = NEG_INF, l_run = 0.f;   // head grp: running maximum, this lane's share of the sum
    float acc[MT][4];                     // Oᵀ tiles: rows dims, columns heads 2·quad and 2·quad + 1
#pragma unroll
    for (int t = 0; t < MT; t++) { acc[t][0] = 0.f; acc[t][1] = 0.f; acc[t][2] = 0.f; acc[t][3] = 0.f; }

    const int groups = (count + 15) >> 4;
    for (int g0 = warp; g0 < groups; g0 += WARPS * U)
    {
        // Loads first (U groups in flight): K row grp of each 8-token tile; V rows 2q, 2q+1, 2q+8, 2q+9.
        uint4 kr[U][2][KP];
        u32 vr[U][4][MT];
#pragma unroll
        for (int r = 0; r < U; r++)
        {
            const int gbase = (g0 + r * WARPS) * 16;
#pragma unroll
            for (int t = 0; t < 2; t++)
            {
                const int i = gbase + t * 8 + grp, tok = start + i;
                load_row_pieces<D>(kr[r][t], tok < len ? kc + (long)tok * D : kn, quad, i < count);
            }
#pragma unroll
            for (int sl = 0; sl < 4; sl++)
            {
                const int i = gbase + 2 * quad + (sl & 1) + (sl >> 1) * 8, tok = start + i;
                const bf16_t* row = tok < len ? vc + (long)tok * D : vn;
                load_v_words<D>(vr[r][sl], row, grp, i < count);
            }
        }

#pragma unroll
        for (int r = 0; r < U; r++)
        {
            const int gbase = (g0 + r * WARPS) * 16;
            if (gbase >= count) break;   // warp-uniform

            // S tiles (query heads × 8 tokens; rows 8–15 zero).
            float sc[2][4];
#pragma unroll
            for (int t = 0; t < 2; t++)
            {
                sc[t][0] = 0.f; sc[t][1] = 0.f; sc[t][2] = 0.f; sc[t][3] = 0.f;
                mma_rows_dot<D>(sc[t], qa, zero, kr[r][t]);
            }

            // This lane's scores: head grp, tokens 2q, 2q+1 (tile 0) and 8+2q, 9+2q (tile 1).
            float s[4];
#pragma unroll
            for (int e = 0; e < 4; e++)
            {
                const int i = gbase + (e >> 1) * 8 + 2 * quad + (e & 1);
                s[e] = i < count ? sc[e >> 1][e & 1] * scale_log2 : NEG_INF;
            }
            float mx = fmaxf(fmaxf(m_run, fmaxf(s[0], s[1])), fmaxf(s[2], s[3]));
            mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
            mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
            const float corr = rescale_weight(m_run, mx);
            m_run = mx;
            float p[4];
#pragma unroll
            for (int e = 0; e < 4; e++) p[e] = rescale_weight(s[e], mx);
            l_run = l_run * corr + ((p[0] + p[1]) + (p[2] + p[3]));

            // The accumulator's columns are heads 2q and 2q+1, whose corrections live in lane groups 2q and 2q+1.
            const float c0 = __shfl_sync(0xffffffffu, corr, (2 * quad) * 4);
            const float c1 = __shfl_sync(0xffffffffu, corr, (2 * quad + 1) * 4);

            // Pᵀ as the B operand (k = tokens 2q, 2q+1 | 2q+8, 2q+9; n = head grp), in hi and lo bf16 halves.
            const u32 ph0 = pack_bf16x2(p[0], p[1]), ph1 = pack_bf16x2(p[2], p[3]);
            const u32 pl0 = pack_bf16x2(p[0] - bf_lo(ph0), p[1] - bf_hi(ph0));
            const u32 pl1 = pack_bf16x2(p[2] - bf_lo(ph1), p[3] - bf_hi(ph1));
#pragma unroll
            for (int t = 0; t < MT; t++)
            {
                acc[t][0] *= c0; acc[t][1] *= c1; acc[t][2] *= c0; acc[t][3] *= c1;
                // Row tile t: row grp = v_dim<D>(t, grp), row grp+8 = the next dim; V word t of each of the four tokens.
                const u32 x0 = vr[r][0][t], x1 = vr[r][1][t], x2 = vr[r][2][t], x3 = vr[r][3][t];
                const u32 a0 = byte_perm(x0, x1, 0x5410u), a1 = byte_perm(x0, x1, 0x7632u);
                const u32 a2 = byte_perm(x2, x3, 0x5410u), a3 = byte_perm(x2, x3, 0x7632u);
                mma_bf16(acc[t], a0, a1, a2, a3, ph0, ph1);
                mma_bf16(acc[t], a0, a1, a2, a3, pl0, pl1);
            }
        }
    }

    l_run += __shfl_xor_sync(0xffffffffu, l_run, 1);
    l_run += __shfl_xor_sync(0xffffffffu, l_run, 2);
    if (quad == 0 && grp < G)
    {
        red_m[warp * GMAX + grp] = m_run;
        red_l[warp * GMAX + grp] = l_run;
    }
#pragma unroll
    for (int t = 0; t < MT; t++)
    {
        const int dim = v_dim<D>(t, grp);
#pragma unroll
        for (int e = 0; e < 4; e++)
        {
            const int head = 2 * quad + (e & 1);
            if (head < G) red_o[(warp * GMAX + head) * D + dim + (e >> 1)] = acc[t][e];
        }
    }
    decode_store_partial<D, GMAX>(red_o, red_m, red_l, part_o, part_ml, b, heads, h0, G, blk.split, blk.splits);
}

#define DECODE_KERNEL(NAME, IMPL, D, G)                                                                                                \
    extern "C" __global__ void DA_BOUNDS NAME##_d##D##_g##G(const bf16_t* __restrict__ q, \
        const bf16_t* __restrict__ new_k, const bf16_t* __restrict__ new_v, const bf16_t* __restrict__ arena_k,             \
        const bf16_t* __restrict__ arena_v, const long long* __restrict__ unit_offset, const int* __restrict__ lengths,     \
        const int* __restrict__ slots, float* __restrict__ part_o, float* __restrict__ part_ml, long long kv_elements,      \
        int total_units, int layer_unit0, int heads, int kv_heads, int heads_per_unit, int units_per_kv_head, int chunk,    \
        float scale_log2, const float* __restrict__ qkv, const float* __restrict__ bias, const int* __restrict__ positions,  \
        const float* __restrict__ inv_freq, bf16_t* __restrict__ q_out, bf16_t* __restrict__ k_out, bf16_t* __restrict__ v_out) \
    { pdl_prologue();                                                                                                                       \
        IMPL<D, G>(q, new_k, new_v, arena_k, arena_v, unit_offset, lengths, slots, part_o, part_ml,             \
            kv_elements, total_units, layer_unit0, heads, kv_heads, heads_per_unit, units_per_kv_head, chunk, scale_log2,   \
            qkv, bias, positions, inv_freq, q_out, k_out, v_out);                                                           \
    }

// Both decode kernels (CUDA cores, tensor cores) for one head dimension and query-head group bound.
#define DECODE_KERNELS(D, G)                                                                                                \
    DECODE_KERNEL(decode_attention_partial, decode_partial_impl, D, G)                                                      \
    DECODE_KERNEL(decode_attention_mma, decode_partial_mma_impl, D, G)

// One instantiation of each kernel per head dimension and (power-of-two) query-head group bound, so register arrays fit
// the group.
#if UNCOMP_WANTS_D(32) && UNCOMP_WANTS_G(1)
DECODE_KERNELS(32, 1)
#endif
#if UNCOMP_WANTS_D(32) && UNCOMP_WANTS_G(2)
DECODE_KERNELS(32, 2)
#endif
#if UNCOMP_WANTS_D(32) && UNCOMP_WANTS_G(4)
DECODE_KERNELS(32, 4)
#endif
#if UNCOMP_WANTS_D(32) && UNCOMP_WANTS_G(8)
DECODE_KERNELS(32, 8)
#endif
#if UNCOMP_WANTS_D(64) && UNCOMP_WANTS_G(1)
DECODE_KERNELS(64, 1)
#endif
#if UNCOMP_WANTS_D(64) && UNCOMP_WANTS_G(2)
DECODE_KERNELS(64, 2)
#endif
#if UNCOMP_WANTS_D(64) && UNCOMP_WANTS_G(4)
DECODE_KERNELS(64, 4)
#endif
#if UNCOMP_WANTS_D(64) && UNCOMP_WANTS_G(8)
DECODE_KERNELS(64, 8)
#endif
#if UNCOMP_WANTS_D(128) && UNCOMP_WANTS_G(1)
DECODE_KERNELS(128, 1)
#endif
#if UNCOMP_WANTS_D(128) && UNCOMP_WANTS_G(2)
DECODE_KERNELS(128, 2)
#endif
#if UNCOMP_WANTS_D(128) && UNCOMP_WANTS_G(4)
DECODE_KERNELS(128, 4)
#endif
#if UNCOMP_WANTS_D(128) && UNCOMP_WANTS_G(8)
DECODE_KERNELS(128, 8)
#endif

// Merges the split partials of each (row, query head): out = Σ_s 2^(m_s−M)·o_s / Σ_s 2^(m_s−M)·l_s.
// Grid: (heads, batch rows); block: DC_THREADS threads. Each thread owns 4 columns (float4) of one split lane;
// the block's lanes walk the splits side by side (many loads in flight) and add up through shared memory.
// Dynamic shared memory: (splits + DC_THREADS * 4) floats.
#define DC_THREADS 256
__device__ __forceinline__ void combine_head(const float* __restrict__ part_o, const float* __restrict__ part_ml,
    bf16_t* __restrict__ out, int h, int b, int heads, int splits, int d)
{
    extern __shared__ float weight[];
    float* lane_sum = weight + splits;
    __shared__ float red[32];
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
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

extern "C" __global__ void __launch_bounds__(DC_THREADS) decode_attention_combine(const float* __restrict__ part_o,
    const float* __restrict__ part_ml, bf16_t* __restrict__ out, int heads, int splits, int d)
{ pdl_prologue();
    combine_head(part_o, part_ml, out, blockIdx.x, blockIdx.y, heads, splits, d);
}
