// Choosing what the KV arena keeps, on the device: the kernels behind a SelectionSpec (docs/compression.md,
// "Method definitions"). Prefill: attention column sums over a range of query rows (observation window or every
// row) from the flash kernel's log-sum-exp, key norms, pooling + segmented top-k (radix select on 64-bit keys:
// score, then lower index wins), the gather of surviving hidden-state rows. Decode: the recent-query ring, the
// re-scoring of a full unit's cached keys (two passes over key chunks: softmax statistics, then probabilities),
// and the choice of the slot to evict by position rank (an `order` list per unit keeps the slots in position order,
// so the arena is never shifted; only the order list is).

// Orders floats as unsigned integers: NaN below −∞, −0 equal to +0.
__device__ __forceinline__ u32 select_key(float v)
{
    if (v != v) return 0u;
    if (v == 0.f) v = 0.f;
    u32 u = __float_as_uint(v);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

// Max that propagates NaN (as .NET's Math.Max, the CPU reference).
__device__ __forceinline__ float max_nan(float a, float b) { return (a != a || b != b) ? __int_as_float(0x7fc00000) : fmaxf(a, b); }

// Pooled score of index i of v[0, m): pool 1 max (NaN wins), 2 average (zero padding counted) over [i − rad, i + rad]
// clipped to the array; pool 0 or rad 0 is the score itself. One definition for prefill top-k and decode eviction.
__device__ __forceinline__ float pooled_score(const float* v, int i, int m, int rad, int pool)
{
    if (pool == 0 || rad == 0) return v[i];
    const int lo = max(0, i - rad), hi = min(m - 1, i + rad);
    float p = v[lo];
    if (pool == 1) { for (int t = lo + 1; t <= hi; t++) p = max_nan(p, v[t]); }
    else { for (int t = lo + 1; t <= hi; t++) p += v[t]; p /= (float)(2 * rad + 1); }
    return p;
}

#define CS_KEYS 128
#define CS_ROWS 32

// out[seg][j] = Σ_{h in seg} Σ_{i = max(row0, j) .. n−1} 2^(q_i,h · k_j · scale_log2 − lse[h][i]): the softmax
// probabilities of query rows [row0, n) on key j, per head rows ascending, then heads ascending (the CPU's order).
// q [n, heads, D], k [n, kv_heads, D] bf16; lse [heads, n] (log2 units, flash_prefill's); out [segs, n].
// Segment seg covers heads [seg·hps, (seg+1)·hps). Grid: (ceil(n / CS_KEYS), segs); block CS_KEYS.
template <int D>
__device__ __forceinline__ void column_sums_impl(const bf16_t* __restrict__ q, const bf16_t* __restrict__ k,
    const float* __restrict__ lse, float* __restrict__ out, int n, int row0, int heads, int kv_heads, int hps, float scale_log2)
{
    __shared__ __attribute__((aligned(16))) bf16_t qs[CS_ROWS * D];
    __shared__ float ls[CS_ROWS];
    const int seg = blockIdx.y;
    const int j = blockIdx.x * CS_KEYS + threadIdx.x;
    const int group = heads / kv_heads;
    const int first_row = max(row0, (int)blockIdx.x * CS_KEYS);
    float total = 0.f;
    float kf[D];
    for (int hh = 0; hh < hps; hh++)
    {
        const int h = seg * hps + hh;
        const int kvh = h / group;
        if (j < n)
        {
            const bf16_t* kp = k + ((long)j * kv_heads + kvh) * D;
#pragma unroll
            for (int e = 0; e < D; e++) kf[e] = bf2f(kp[e]);
        }
        float acc = 0.f;
        for (int i0 = first_row; i0 < n; i0 += CS_ROWS)
        {
            __syncthreads();
            for (int e = threadIdx.x; e < CS_ROWS * D / 8; e += blockDim.x)
            {
                const int r = e / (D / 8), c = e % (D / 8), i = i0 + r;
                ((uint4*)qs)[e] = i < n ? ((const uint4*)(q + ((long)i * heads + h) * D))[c] : make_uint4(0u, 0u, 0u, 0u);
            }
            if (threadIdx.x < CS_ROWS) ls[threadIdx.x] = i0 + (int)threadIdx.x < n ? lse[(long)h * n + i0 + threadIdx.x] : 0.f;
            __syncthreads();
            if (j < n)
            {
                const int rows = min(CS_ROWS, n - i0);
                for (int r = 0; r < rows; r++)
                {
                    if (i0 + r < j) continue;
                    float dot = 0.f;
#pragma unroll
                    for (int e = 0; e < D; e++) dot += kf[e] * bf2f(qs[r * D + e]);
                    acc += exp2f(dot * scale_log2 - ls[r]);
                }
            }
        }
        total = hh == 0 ? acc : total + acc;
    }
    if (j < n) out[(long)seg * n + j] = total;
}

#define COLUMN_SUMS(D)                                                                                                   \
    extern "C" __global__ void __launch_bounds__(CS_KEYS) attention_column_sums_d##D(const bf16_t* __restrict__ q,     \
        const bf16_t* __restrict__ k, const float* __restrict__ lse, float* __restrict__ out, int n, int row0, int heads, \
        int kv_heads, int hps, float scale_log2)                                                                         \
    { pdl_prologue();                                                                                                                    \
        column_sums_impl<D>(q, k, lse, out, n, row0, heads, kv_heads, hps, scale_log2);                                 \
    }

#if UNCOMP_WANTS_D(32)
COLUMN_SUMS(32)
#endif
#if UNCOMP_WANTS_D(64)
COLUMN_SUMS(64)
#endif
#if UNCOMP_WANTS_D(128)
COLUMN_SUMS(128)
#endif

// out[u][j] = −‖k_j‖₂ of the KV head of unit u (KeyNorm). Grid: (ceil(n / 128), units); block 128.
extern "C" __global__ void key_norm_scores(const bf16_t* __restrict__ k, float* __restrict__ out, int n, int kv_heads,
    int units_per_kv_head, int d)
{ pdl_prologue();
    const int u = blockIdx.y, j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= n) return;
    const bf16_t* kp = k + ((long)j * kv_heads + u / units_per_kv_head) * d;
    float s = 0.f;
    for (int e = 0; e < d; e++) { float x = bf2f(kp[e]); s += x * x; }
    out[(long)u * n + j] = -sqrtf(s);
}

// Prefill selection, one segment per block (a unit's cache, or the hidden states): keep[seg] receives, in increasing
// order, [0, s), the C − s − r indices of [s, n − r) with the largest pooled score (equal scores: lower index
// first), and [n − r, n); keep_len[seg] = C, or n with every index when n ≤ C. plan[seg] = (C, s, r).
// pool: 0 none, 1 max, 2 average (zero padding counted); radius = kernel / 2; pooling sees the scored region only.
// recency != 0 ranks by index (scores unused). keys: u64 scratch [segs, n]. Grid: segs; block 1024.
extern "C" __global__ void __launch_bounds__(1024) select_topk(const float* __restrict__ scores, const int* __restrict__ plan,
    int* __restrict__ keep, int* __restrict__ keep_len, u64* __restrict__ keys, int n, int keep_stride, int pool, int kernel,
    int recency)
{ pdl_prologue();
    __shared__ int hist[256];
    __shared__ int warp_base[32];
    __shared__ int s_total, s_remaining;
    __shared__ u64 s_prefix;
    const int seg = blockIdx.x, tid = threadIdx.x, bd = blockDim.x;
    const int lane = tid & 31, warp = tid >> 5, warps = bd >> 5;
    const int C = plan[seg * 3], s = plan[seg * 3 + 1], r = plan[seg * 3 + 2];
    int* out = keep + (long)seg * keep_stride;
    if (n <= C)
    {
        for (int i = tid; i < n; i += bd) out[i] = i;
        if (tid == 0) keep_len[seg] = n;
        return;
    }
    if (tid == 0) keep_len[seg] = C;
    for (int i = tid; i < s; i += bd) out[i] = i;
    for (int i = tid; i < r; i += bd) out[C - r + i] = n - r + i;
    const int m = n - r - s, k = C - s - r;
    if (k <= 0) return;
    const float* sc = scores + (long)seg * n + s;
    u64* kk = keys + (long)seg * n;
    const int rad = kernel / 2;
    for (int i = tid; i < m; i += bd)
    {
        float v;
        if (recency) v = (float)(s + i);
        else v = pooled_score(sc, i, m, rad, pool);
        kk[i] = ((u64)select_key(v) << 32) | (u64)(0xffffffffu - (u32)i);
    }
    __syncthreads();
    // Radix select of the k-th largest key, 8 bits at a time from the top; keys are unique (index in the low bits).
    u64 prefix = 0;
    int remaining = k;
    for (int shift = 56; shift >= 0; shift -= 8)
    {
        for (int b = tid; b < 256; b += bd) hist[b] = 0;
        __syncthreads();
        const u64 mask = shift == 56 ? 0ull : (~0ull << (shift + 8));
        for (int i = tid; i < m; i += bd)
        {
            const u64 key = kk[i];
            if ((key & mask) == prefix) atomicAdd(&hist[(int)((key >> shift) & 255ull)], 1);
        }
        __syncthreads();
        if (tid == 0)
        {
            int cum = 0, d = 255;
            for (; d > 0; d--) { if (cum + hist[d] >= remaining) break; cum += hist[d]; }
            s_prefix = prefix | ((u64)d << shift);
            s_remaining = remaining - cum;
        }
        __syncthreads();
        prefix = s_prefix;
        remaining = s_remaining;
    }
    // Keys ≥ prefix are exactly the top k: compact their indices in increasing order.
    int base = 0;
    for (int i0 = 0; i0 < m; i0 += bd)
    {
        const int i = i0 + tid;
        const int flag = i < m && kk[i] >= prefix;
        const u32 ballot = __ballot_sync(0xffffffffu, flag);
        const int rank = __popc(ballot & ((1u << lane) - 1u));
        if (lane == 0) warp_base[warp] = __popc(ballot);
        __syncthreads();
        if (tid < 32)
        {
            const int c = tid < warps ? warp_base[tid] : 0;
            int incl = c;
#pragma unroll
            for (int o = 1; o < 32; o <<= 1) { int t = __shfl_up_sync(0xffffffffu, incl, o); if (lane >= o) incl += t; }
            warp_base[tid] = incl - c;
            if (tid == 31) s_total = incl;
        }
        __syncthreads();
        if (flag) out[s + base + warp_base[warp] + rank] = s + i;
        base += s_total;
        __syncthreads();
    }
}

// Hidden-state stage gather: dst[t] = src[keep[t]] (fp32 rows of `cols`) and pos_dst[t] = pos_src[keep[t]].
// Grid: rows kept; block 256.
extern "C" __global__ void gather_rows(const float* __restrict__ src, float* __restrict__ dst, const int* __restrict__ pos_src,
    int* __restrict__ pos_dst, const int* __restrict__ keep, int cols)
{ pdl_prologue();
    const int t = blockIdx.x, from = keep[t];
    for (int c = threadIdx.x; c < cols; c += blockDim.x) dst[(long)t * cols + c] = src[(long)from * cols + c];
    if (threadIdx.x == 0) pos_dst[t] = pos_src[from];
}

// The recent-query ring of one layer, [slot][layer][w][heads·D] bf16 with a count per (slot, layer): the query of
// the c-th processed token sits at c mod w. Prefill stores the last w' rows of q (oldest first) and sets the count
// to w'. Grid: w'; block 256.
extern "C" __global__ void queries_push_prefill(const bf16_t* __restrict__ q, bf16_t* __restrict__ ring, int* __restrict__ qcount,
    int slot, int layer, int layers, int n, int w, int qdim)
{ pdl_prologue();
    const int wp = gridDim.x, i = blockIdx.x;
    const uint4* src = (const uint4*)(q + (long)(n - wp + i) * qdim);
    uint4* dst = (uint4*)(ring + (((long)slot * layers + layer) * w + i) * qdim);
    for (int e = threadIdx.x; e < qdim / 8; e += blockDim.x) dst[e] = src[e];
    if (i == 0 && threadIdx.x == 0) qcount[(long)slot * layers + layer] = wp;
}

// Decode: each batch row's query goes to slot count mod w of its ring; the count grows by one. Grid: rows; block 256.
extern "C" __global__ void queries_push_decode(const bf16_t* __restrict__ q, bf16_t* __restrict__ ring, int* __restrict__ qcount,
    const int* __restrict__ slots, int layer, int layers, int w, int qdim)
{ pdl_prologue();
    const int b = blockIdx.x, slot = slots[b];
    int* count = qcount + (long)slot * layers + layer;
    const int c = *count;
    const uint4* src = (const uint4*)(q + (long)b * qdim);
    uint4* dst = (uint4*)(ring + (((long)slot * layers + layer) * w + c % w) * qdim);
#pragma unroll 4
    for (int e = threadIdx.x; e < qdim / 8; e += blockDim.x) dst[e] = src[e];
    __syncthreads();
    if (threadIdx.x == 0) *count = c + 1;
}

// Keys per block (`chunk`, a launch argument, a multiple of EV_LANES up to EV_THREADS): the engine passes 256 (the
// block's queries are loaded once per chunk, and fewer blocks take fewer multiprocessors from the decode step beside). EV_LANES threads share out a chunk's keys, EV_GROUPS
// of them split the pairs of each key.
#define EV_LANES 64
#define EV_THREADS 256
#define EV_GROUPS (EV_THREADS / EV_LANES)
#define EV_PMAX 128

// Query pair p's bf16 row (p = hh·R + rr): from the recent-query ring (mode 1) or the step's own query (mode 2).
template <int D>
__device__ __forceinline__ const bf16_t* rescore_query_row(const bf16_t* __restrict__ q, const bf16_t* __restrict__ ring,
    int p, int R, int h0, int b, int qdim, long ring0, int oldest, int w, int mode)
{
    const int hh = p / R, rr = p % R, h = h0 + hh;
    return mode == 1 ? ring + (ring0 + (oldest + rr) % w) * qdim + (long)h * D : q + (long)b * qdim + (long)h * D;
}

// Shared part of the two decode re-scoring passes: the block's (split, unit, row); writes logits[p][t] = q_p · k_t ·
// scale_log2 for the unit's query pairs (p = hh·R + rr: heads ascending, recent queries oldest first; mode 1: the
// ring's R = min(w, count) queries, mode 2: the current query only) and the chunk's keys (t < count; the step's new
// key is index len), on tensor cores: each warp takes 8 keys at a time against 16 pairs per mma (mma_rows_dot, bf16
// rows straight from memory, fp32 sums: the same products as an fp32 loop over bf16 values). Returns the pair count,
// 0 when the block has nothing to do, −1 for a chunk past the unit.
template <int D>
__device__ __forceinline__ int rescore_logits(const bf16_t* __restrict__ q, const bf16_t* __restrict__ ring,
    const int* __restrict__ qcount, const bf16_t* __restrict__ new_k, const bf16_t* __restrict__ arena_k,
    const long long* __restrict__ unit_offset, const int* __restrict__ lengths, const int* __restrict__ unit_cap,
    const int* __restrict__ slots, long long kv_elements, int total_units, int layer_unit0, int heads, int kv_heads,
    int hpu, int units_per_kv_head, int layer, int layers, int w, int mode, int chunk, float scale_log2, float* logits,
    int& len, int& count, int& start)
{
    const int b = blockIdx.z, j = blockIdx.y, split = blockIdx.x;
    const int slot = slots[b], u = layer_unit0 + j;
    len = lengths[(long)slot * total_units + u];
    start = split * chunk;
    count = 0;
    if (mode == 1 && len < unit_cap[u]) return 0;
    const int total = len + 1;
    if (start >= total) return -1;
    count = min(chunk, total - start);
    const int qdim = heads * D;
    int R = 1;
    long ring0 = 0;
    int oldest = 0;
    if (mode == 1)
    {
        const int c = qcount[(long)slot * layers + layer];
        R = min(w, c);
        ring0 = ((long)slot * layers + layer) * w;
        oldest = c - R;
    }
    const int P = R * hpu;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, warps = blockDim.x >> 5;
    const int grp = lane >> 2, quad = lane & 3;
    const int kvh = j / units_per_kv_head;
    for (int nt = warp; nt < (count + 7) >> 3; nt += warps)
    {
        const int t = nt * 8 + grp, ki = start + t;
        uint4 kr[D / 32];
        load_row_pieces<D>(kr, ki < len ? arena_k + (long)slot * kv_elements + unit_offset[u] + (long)ki * D
                                        : new_k + ((long)b * kv_heads + kvh) * D, quad, t < count);
        for (int m0 = 0; m0 < P; m0 += 16)
        {
            uint4 lo[D / 32], hi[D / 32];
            const int plo = min(m0 + grp, P - 1), phi = min(m0 + grp + 8, P - 1);
            load_row_pieces<D>(lo, rescore_query_row<D>(q, ring, plo, R, j * hpu, b, qdim, ring0, oldest, w, mode), quad, m0 + grp < P);
            load_row_pieces<D>(hi, rescore_query_row<D>(q, ring, phi, R, j * hpu, b, qdim, ring0, oldest, w, mode), quad, m0 + grp + 8 < P);
            float c[4] = {0.f, 0.f, 0.f, 0.f};
            mma_rows_dot<D>(c, lo, hi, kr);
            // c0, c1: pair m0 + grp, keys nt·8 + 2·quad, +1; c2, c3: pair m0 + grp + 8.
#pragma unroll
            for (int e = 0; e < 4; e++)
            {
                const int p = m0 + grp + (e >> 1) * 8, tt = nt * 8 + 2 * quad + (e & 1);
                if (p < P && tt < count) logits[p * chunk + tt] = c[e] * scale_log2;
            }
        }
    }
    __syncthreads();
    return P;
}

// Pass 1: per pair and chunk, the softmax statistics (max, Σ 2^(x − max)) into part [rows][units][splits][pmax][2].
// Grid: (splits, units, rows); block EV_THREADS; dynamic shared memory: pmax·chunk floats (the logits; pmax ≤ EV_PMAX).
template <int D>
__device__ __forceinline__ void rescore_stats_impl(const bf16_t* __restrict__ q, const bf16_t* __restrict__ ring,
    const int* __restrict__ qcount, const bf16_t* __restrict__ new_k, const bf16_t* __restrict__ arena_k,
    const long long* __restrict__ unit_offset, const int* __restrict__ lengths, const int* __restrict__ unit_cap,
    const int* __restrict__ slots, float* __restrict__ part, long long kv_elements, int total_units, int layer_unit0,
    int heads, int kv_heads, int hpu, int units_per_kv_head, int layer, int layers, int w, int mode, int pmax, int chunk, float scale_log2)
{
    extern __shared__ __attribute__((aligned(16))) float ev_sh[];
    int len, count, start;
    const int P = rescore_logits<D>(q, ring, qcount, new_k, arena_k, unit_offset, lengths, unit_cap, slots, kv_elements,
        total_units, layer_unit0, heads, kv_heads, hpu, units_per_kv_head, layer, layers, w, mode, chunk, scale_log2,
        ev_sh, len, count, start);
    if (P == 0) return;
    const int b = blockIdx.z, j = blockIdx.y, split = blockIdx.x, splits = gridDim.x, units = gridDim.y;
    float* dst = part + ((((long)b * units + j) * splits) + split) * pmax * 2;
    if (P < 0)
    {
        for (int p = threadIdx.x; p < pmax; p += blockDim.x) { dst[p * 2] = NEG_INF; dst[p * 2 + 1] = 0.f; }
        return;
    }
    const float* logits = ev_sh;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, warps = blockDim.x >> 5;
    for (int p = warp; p < P; p += warps)
    {
        float mx = NEG_INF;
        for (int t = lane; t < count; t += 32) mx = fmaxf(mx, logits[p * chunk + t]);
        mx = warp_max(mx);
        float sum = 0.f;
        for (int t = lane; t < count; t += 32) sum += exp2f(logits[p * chunk + t] - mx);
        sum = warp_sum(sum);
        if (lane == 0) { dst[p * 2] = mx; dst[p * 2 + 1] = sum; }
    }
}

// Pass 2: the probabilities, summed over the pairs in order. mode 1 (observation window, full units only):
// scores[row][unit][slot] for the cached slots. mode 2 (accumulated attention, every unit): acc[slot row] += the
// sum; the new key's sum goes to new_score[row][unit]. Grid and shared memory as pass 1.
template <int D>
__device__ __forceinline__ void rescore_probs_impl(const bf16_t* __restrict__ q, const bf16_t* __restrict__ ring,
    const int* __restrict__ qcount, const bf16_t* __restrict__ new_k, const bf16_t* __restrict__ arena_k,
    const long long* __restrict__ unit_offset, const int* __restrict__ lengths, const int* __restrict__ unit_cap,
    const int* __restrict__ slots, const float* __restrict__ part, float* __restrict__ scores, float* __restrict__ acc,
    float* __restrict__ new_score, long long kv_elements, long long pos_elements, int total_units, int layer_unit0,
    int heads, int kv_heads, int hpu, int units_per_kv_head, int layer, int layers, int w, int mode, int score_stride,
    int pmax, int chunk, float scale_log2)
{
    extern __shared__ __attribute__((aligned(16))) float ev_sh[];
    __shared__ float stat_m[EV_PMAX], stat_inv[EV_PMAX];
    int len, count, start;
    const int P = rescore_logits<D>(q, ring, qcount, new_k, arena_k, unit_offset, lengths, unit_cap, slots, kv_elements,
        total_units, layer_unit0, heads, kv_heads, hpu, units_per_kv_head, layer, layers, w, mode, chunk, scale_log2,
        ev_sh, len, count, start);
    if (P <= 0) return;
    const int b = blockIdx.z, j = blockIdx.y, splits = gridDim.x, units = gridDim.y;
    const float* src = part + (((long)b * units + j) * splits) * pmax * 2;
    // A warp per pair merges the splits' statistics (lanes over splits: independent loads, not a serial chain).
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, warps = blockDim.x >> 5;
    for (int p = warp; p < P; p += warps)
    {
        float mx = NEG_INF;
        for (int s = lane; s < splits; s += 32) mx = fmaxf(mx, src[((long)s * pmax + p) * 2]);
        mx = warp_max(mx);
        float sum = 0.f;
        for (int s = lane; s < splits; s += 32)
        {
            const float ms = src[((long)s * pmax + p) * 2];
            if (ms > NEG_INF) sum += src[((long)s * pmax + p) * 2 + 1] * exp2f(ms - mx);
        }
        sum = warp_sum(sum);
        if (lane == 0)
        {
            stat_m[p] = mx;
            stat_inv[p] = sum > 0.f ? 1.f / sum : 0.f;
        }
    }
    __syncthreads();
    const int t = threadIdx.x;
    if (t >= count) return;
    const float* logits = ev_sh;
    float total = 0.f;
    for (int p = 0; p < P; p++) total += exp2f(logits[p * chunk + t] - stat_m[p]) * stat_inv[p];
    const int ki = start + t;
    const int slot = slots[b], u = layer_unit0 + j;
    if (mode == 1)
    {
        if (ki < len) scores[((long)b * units + j) * score_stride + ki] = total;
    }
    else if (ki < len) acc[(long)slot * pos_elements + unit_offset[u] / D + ki] += total;
    else new_score[(long)b * units + j] = total;
}

#define RESCORE(D)                                                                                                        \
    extern "C" __global__ void __launch_bounds__(EV_THREADS, 2) rescore_stats_d##D(const bf16_t* __restrict__ q,             \
        const bf16_t* __restrict__ ring, const int* __restrict__ qcount, const bf16_t* __restrict__ new_k,                \
        const bf16_t* __restrict__ arena_k, const long long* __restrict__ unit_offset, const int* __restrict__ lengths,    \
        const int* __restrict__ unit_cap, const int* __restrict__ slots, float* __restrict__ part, long long kv_elements, \
        int total_units, int layer_unit0, int heads, int kv_heads, int hpu, int units_per_kv_head, int layer, int layers,\
        int w, int mode, int pmax, int chunk, float scale_log2)                                                           \
    { pdl_prologue();                                                                                                                     \
        rescore_stats_impl<D>(q, ring, qcount, new_k, arena_k, unit_offset, lengths, unit_cap, slots, part, kv_elements,  \
            total_units, layer_unit0, heads, kv_heads, hpu, units_per_kv_head, layer, layers, w, mode, pmax, chunk,       \
            scale_log2);                                                                                                  \
    }                                                                                                                     \
    extern "C" __global__ void __launch_bounds__(EV_THREADS, 2) rescore_probs_d##D(const bf16_t* __restrict__ q,             \
        const bf16_t* __restrict__ ring, const int* __restrict__ qcount, const bf16_t* __restrict__ new_k,                \
        const bf16_t* __restrict__ arena_k, const long long* __restrict__ unit_offset, const int* __restrict__ lengths,    \
        const int* __restrict__ unit_cap, const int* __restrict__ slots, const float* __restrict__ part,                  \
        float* __restrict__ scores, float* __restrict__ acc, float* __restrict__ new_score, long long kv_elements,         \
        long long pos_elements, int total_units, int layer_unit0, int heads, int kv_heads, int hpu, int units_per_kv_head,\
        int layer, int layers, int w, int mode, int score_stride, int pmax, int chunk, float scale_log2)                 \
    { pdl_prologue();                                                                                                                     \
        rescore_probs_impl<D>(q, ring, qcount, new_k, arena_k, unit_offset, lengths, unit_cap, slots, part, scores, acc,  \
            new_score, kv_elements, pos_elements, total_units, layer_unit0, heads, kv_heads, hpu, units_per_kv_head,      \
            layer, layers, w, mode, score_stride, pmax, chunk, scale_log2);                                               \
    }

#if UNCOMP_WANTS_D(32)
RESCORE(32)
#endif
#if UNCOMP_WANTS_D(64)
RESCORE(64)
#endif
#if UNCOMP_WANTS_D(128)
RESCORE(128)
#endif

// Decode eviction, one (unit, row) per block: a unit with room takes the new token in its next slot; a full unit
// ranks its cached tokens by position (order[0..len) lists slots oldest first), pools the candidates' scores over
// ranks [lo, hi) (lo = min(s, len − 1), hi = max(lo + 1, len − max(0, r − 1)), (s, r) = decode_plan[unit]) and
// evicts the lowest (NaN first, then the lowest rank among equals). The order list drops the evicted rank and
// appends its slot (the new token is the newest). dst[row][unit] = the slot the new token takes.
// source: 0 recency (score = rank), 1 scores[row][unit][slot], 2 acc[slot row], 3 −‖k‖.
// Grid: (units, rows); block 1024 (a unit's candidates in one or two strides); dynamic shared memory: max capacity floats.
// One (unit blockIdx.x, batch row blockIdx.y) of evict_select; thread 0 writes dst[row][unit], and every thread gets
// the chosen slot back. acc, arena_k and lengths are not const: evict_select_append appends through them afterwards.
__device__ __forceinline__ int evict_select_unit(const float* __restrict__ scores, float* __restrict__ acc,
    bf16_t* __restrict__ arena_k, int* __restrict__ order, int* __restrict__ lengths,
    const long long* __restrict__ unit_offset, const int* __restrict__ unit_cap, const int* __restrict__ decode_plan,
    const int* __restrict__ slots, int* __restrict__ dst, long long kv_elements, long long pos_elements, int total_units,
    int layer_unit0, int source, int pool, int kernel, int score_stride, int d)
{
    extern __shared__ float vals[];
    __shared__ int s_rank;
    const int j = blockIdx.x, b = blockIdx.y, units = gridDim.x;
    const int slot = slots[b], u = layer_unit0 + j;
    const int len = lengths[(long)slot * total_units + u], cap = unit_cap[u];
    int* ord = order + (long)slot * pos_elements + unit_offset[u] / d;
    int* out = dst + (long)b * units + j;
    if (len < cap)
    {
        if (threadIdx.x == 0) { ord[len] = len; *out = len; }
        return len;
    }
    const int s = decode_plan[u * 2], r = decode_plan[u * 2 + 1];
    const int lo = min(s, len - 1), hi = max(lo + 1, len - max(0, r - 1));
    const int m = hi - lo;
    for (int i = threadIdx.x; i < m; i += blockDim.x)
    {
        const int slot_i = ord[lo + i];
        float v;
        if (source == 0) v = (float)(lo + i);
        else if (source == 1) v = scores[((long)b * units + j) * score_stride + slot_i];
        else if (source == 2) v = acc[(long)slot * pos_elements + unit_offset[u] / d + slot_i];
        else
        {
            const bf16_t* kp = arena_k + (long)slot * kv_elements + unit_offset[u] + (long)slot_i * d;
            float sq = 0.f;
            for (int e = 0; e < d; e++) { float x = bf2f(kp[e]); sq += x * x; }
            v = -sqrtf(sq);
        }
        vals[i] = v;
    }
    __syncthreads();
    const int rad = pool == 0 ? 0 : kernel / 2;
    u32 bh = 0xffffffffu, bl = 0xffffffffu;
    for (int i = threadIdx.x; i < m; i += blockDim.x)
    {
        const float v = pooled_score(vals, i, m, rad, pool);
        const u32 kh = v != v ? 0u : select_key(v) + 1u;
        if (kh < bh || (kh == bh && (u32)i < bl)) { bh = kh; bl = (u32)i; }
    }
    block_argmin(bh, bl);
    if (threadIdx.x == 0) s_rank = lo + (int)bl;
    __syncthreads();
    const int rank = s_rank;
    const int evicted = ord[rank];
    __syncthreads();
    for (int base = rank; base < len - 1; base += blockDim.x)
    {
        const int i = base + threadIdx.x;
        const int next = i < len - 1 ? ord[i + 1] : 0;
        __syncthreads();
        if (i < len - 1) ord[i] = next;
        __syncthreads();
    }
    if (threadIdx.x == 0) { ord[len - 1] = evicted; *out = evicted; }
    return evicted;
}

#define EVICT_SELECT_PARAMS const float* __restrict__ scores, float* __restrict__ acc, bf16_t* __restrict__ arena_k, \
    int* __restrict__ order, int* __restrict__ lengths, const long long* __restrict__ unit_offset, \
    const int* __restrict__ unit_cap, const int* __restrict__ decode_plan, const int* __restrict__ slots, int* __restrict__ dst, \
    long long kv_elements, long long pos_elements, int total_units, int layer_unit0, int source, int pool, int kernel, \
    int score_stride, int d
#define EVICT_SELECT_ARGS scores, acc, arena_k, order, lengths, unit_offset, unit_cap, decode_plan, slots, dst, kv_elements, \
    pos_elements, total_units, layer_unit0, source, pool, kernel, score_stride, d

extern "C" __global__ void __launch_bounds__(1024) evict_select(EVICT_SELECT_PARAMS)
{ pdl_prologue();
    evict_select_unit(EVICT_SELECT_ARGS);
}

// evict_select, then kv_append's body for the same (unit, row) into the slot just chosen: one launch per layer instead
// of two. The extra arguments are kv_append's; acc (H2O's accumulated scores) receives the new token's score there.
extern "C" __global__ void __launch_bounds__(1024) evict_select_append(EVICT_SELECT_PARAMS, const bf16_t* __restrict__ new_k,
    const bf16_t* __restrict__ new_v, bf16_t* __restrict__ arena_v, int* __restrict__ positions, const int* __restrict__ token_pos,
    const float* __restrict__ new_score, int kv_heads, int units_per_kv_head)
{ pdl_prologue();
    const int chosen = evict_select_unit(EVICT_SELECT_ARGS);
    __syncthreads();   // every thread is done with the order list and the scores before the append
    kv_append_unit(blockIdx.x, blockIdx.y, gridDim.x, new_k, new_v, arena_k, arena_v, positions, lengths,
        unit_offset, unit_cap, slots, token_pos, 0, chosen, acc, new_score, kv_elements, pos_elements, total_units, layer_unit0,
        kv_heads, units_per_kv_head, d);
}
