// The KV arena: per sequence slot, every unit (layer × KV head, or layer × query head) owns `cap` token rows of
// keys and of values at unit_offset[u] (elements), and `cap` int positions at unit_offset[u] / d. lengths holds
// the filled rows per (slot, unit). Recency comes from positions, not from row order: eviction overwrites the
// row holding the smallest position; nothing is shifted in memory.

// Prefill: writes the kept tokens of each unit of one layer into one slot. keep (optional, [units, keep_stride])
// lists the kept prompt rows in order (keep_len[unit] of them); without it the last min(n, cap) rows are kept
// (recency). order (optional) starts as the identity (slots in position order); acc (optional, H2O) receives the
// kept rows' column sums col_scores [units, n].
// Grid: (units of the layer, row blocks); block: 128 (a warp per token row).
extern "C" __global__ void kv_prefill_write(const bf16_t* __restrict__ k, const bf16_t* __restrict__ v, const int* __restrict__ token_pos,
    bf16_t* __restrict__ arena_k, bf16_t* __restrict__ arena_v, int* __restrict__ positions, int* __restrict__ lengths,
    const long long* __restrict__ unit_offset, const int* __restrict__ unit_cap, const int* __restrict__ keep, int keep_stride,
    const int* __restrict__ keep_len, int* __restrict__ order, const float* __restrict__ col_scores, float* __restrict__ acc,
    int slot, int n, long long kv_elements, long long pos_elements, int total_units, int layer_unit0, int kv_heads,
    int units_per_kv_head, int d)
{ pdl_prologue();
    const int j = blockIdx.x, u = layer_unit0 + j;
    const int cap = unit_cap[u];
    const int kept = keep_len != 0 ? keep_len[j] : min(n, cap);
    const int kvh = j / units_per_kv_head;
    const long off = (long)slot * kv_elements + unit_offset[u];
    uint4* ak = (uint4*)(arena_k + off);
    uint4* av = (uint4*)(arena_v + off);
    const long row0 = (long)slot * pos_elements + unit_offset[u] / d;
    int* pos = positions + row0;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, warps = blockDim.x >> 5;
    const int vecs = d / 8;
    for (int s = blockIdx.y * warps + warp; s < kept; s += gridDim.y * warps)
    {
        int src = keep != 0 ? keep[(long)j * keep_stride + s] : n - kept + s;
        const uint4* sk = (const uint4*)(k + ((long)src * kv_heads + kvh) * d);
        const uint4* sv = (const uint4*)(v + ((long)src * kv_heads + kvh) * d);
        for (int e = lane; e < vecs; e += 32) { ak[(long)s * vecs + e] = sk[e]; av[(long)s * vecs + e] = sv[e]; }
        if (lane == 0)
        {
            pos[s] = token_pos[src];
            if (order != 0) order[row0 + s] = s;
            if (acc != 0) acc[row0 + s] = col_scores[(long)j * n + src];
        }
    }
    if (blockIdx.y == 0 && threadIdx.x == 0) lengths[(long)slot * total_units + u] = kept;
}

// Decode: appends the step's new key/value of each unit of one layer for every batch row, into dst_in[row][unit] when
// a selection chose the slot (evict_select), else into the next free row or, when the unit is full, over the row
// with the smallest position (lowest row on ties). acc (H2O) receives the new token's score from new_score.
// Grid: (units of the layer, batch rows); block: 128.
// One (unit j of the layer's `units`, batch row b) of kv_append; any block size that is a multiple of 32. chosen ≥ 0:
// the slot a caller in the same block already chose (evict_select_append); else dst_in or recency as above.
__device__ __forceinline__ void kv_append_unit(int j, int b, int units, const bf16_t* __restrict__ new_k, const bf16_t* __restrict__ new_v,
    bf16_t* __restrict__ arena_k, bf16_t* __restrict__ arena_v, int* __restrict__ positions, int* __restrict__ lengths,
    const long long* __restrict__ unit_offset, const int* __restrict__ unit_cap, const int* __restrict__ slots,
    const int* __restrict__ token_pos, const int* __restrict__ dst_in, int chosen, float* __restrict__ acc, const float* __restrict__ new_score,
    long long kv_elements, long long pos_elements, int total_units, int layer_unit0, int kv_heads, int units_per_kv_head, int d)
{
    __shared__ int dst_s;
    const int slot = slots[b], u = layer_unit0 + j;
    int* len_p = lengths + (long)slot * total_units + u;
    const int len = *len_p, cap = unit_cap[u];
    int* pos = positions + (long)slot * pos_elements + unit_offset[u] / d;
    if (chosen >= 0)
    {
        if (threadIdx.x == 0) dst_s = chosen;
    }
    else if (dst_in != 0)
    {
        if (threadIdx.x == 0) dst_s = dst_in[(long)b * units + j];
    }
    else if (len < cap)
    {
        if (threadIdx.x == 0) dst_s = len;
    }
    else
    {
        // A full unit holds cap positions, all ≥ 0: compared as unsigned they order the same.
        u32 bv = 0xffffffffu, bi = 0xffffffffu;
        for (int i = threadIdx.x; i < cap; i += blockDim.x)
        {
            const u32 p = (u32)pos[i];
            if (p < bv || (p == bv && (u32)i < bi)) { bv = p; bi = (u32)i; }
        }
        block_argmin(bv, bi);
        if (threadIdx.x == 0) dst_s = (int)bi;
    }
    __syncthreads();
    const int dst = dst_s;
    const int kvh = j / units_per_kv_head;
    const long off = (long)slot * kv_elements + unit_offset[u] + (long)dst * d;
    const bf16_t* sk = new_k + ((long)b * kv_heads + kvh) * d;
    const bf16_t* sv = new_v + ((long)b * kv_heads + kvh) * d;
    for (int e = threadIdx.x; e < d; e += blockDim.x) { arena_k[off + e] = sk[e]; arena_v[off + e] = sv[e]; }
    if (threadIdx.x == 0)
    {
        pos[dst] = token_pos[b];
        if (acc != 0) acc[(long)slot * pos_elements + unit_offset[u] / d + dst] = new_score[(long)b * units + j];
        if (len < cap) *len_p = len + 1;
    }
}

extern "C" __global__ void kv_append(const bf16_t* __restrict__ new_k, const bf16_t* __restrict__ new_v,
    bf16_t* __restrict__ arena_k, bf16_t* __restrict__ arena_v, int* __restrict__ positions, int* __restrict__ lengths,
    const long long* __restrict__ unit_offset, const int* __restrict__ unit_cap, const int* __restrict__ slots,
    const int* __restrict__ token_pos, const int* __restrict__ dst_in, float* __restrict__ acc, const float* __restrict__ new_score,
    long long kv_elements, long long pos_elements, int total_units, int layer_unit0, int kv_heads, int units_per_kv_head, int d)
{ pdl_prologue();
    kv_append_unit(blockIdx.x, blockIdx.y, gridDim.x, new_k, new_v, arena_k, arena_v, positions, lengths, unit_offset, unit_cap,
        slots, token_pos, dst_in, -1, acc, new_score, kv_elements, pos_elements, total_units, layer_unit0, kv_heads, units_per_kv_head, d);
}

// Decode without a selection: the split-KV combine of every head (blocks x < heads, as decode_attention_combine) and
// the KV append of every unit (blocks x ≥ heads, as kv_append) in one launch instead of two. Safe together: the
// combine reads only the partials, the append reads only the step's k/v and the unit's positions and writes arena
// rows no combine reads. Grid: (heads + units of the layer, batch rows); block: DC_THREADS; dynamic shared memory as
// decode_attention_combine.
extern "C" __global__ void __launch_bounds__(DC_THREADS) decode_combine_append(const float* __restrict__ part_o,
    const float* __restrict__ part_ml, bf16_t* __restrict__ out, int heads, int splits, const bf16_t* __restrict__ new_k,
    const bf16_t* __restrict__ new_v, bf16_t* __restrict__ arena_k, bf16_t* __restrict__ arena_v, int* __restrict__ positions,
    int* __restrict__ lengths, const long long* __restrict__ unit_offset, const int* __restrict__ unit_cap,
    const int* __restrict__ slots, const int* __restrict__ token_pos, long long kv_elements, long long pos_elements,
    int total_units, int layer_unit0, int kv_heads, int units_per_kv_head, int d)
{ pdl_prologue();
    if ((int)blockIdx.x < heads)
        combine_head(part_o, part_ml, out, blockIdx.x, blockIdx.y, heads, splits, d);
    else
        kv_append_unit(blockIdx.x - heads, blockIdx.y, gridDim.x - heads, new_k, new_v, arena_k, arena_v, positions, lengths,
            unit_offset, unit_cap, slots, token_pos, 0, -1, 0, 0, kv_elements, pos_elements, total_units, layer_unit0, kv_heads,
            units_per_kv_head, d);
}
