// Token choice on the device, one block of 1024 threads per batch row. A row holding NaN or ±inf yields -1.

__device__ __forceinline__ bool not_finite(float v) { return (__float_as_uint(v) & 0x7f800000u) == 0x7f800000u; }

// Order-preserving map of a float to an unsigned key (larger float → larger key).
__device__ __forceinline__ u32 order_key(float v)
{
    u32 u = __float_as_uint(v);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

__device__ __forceinline__ void better(float v, int i, float& bv, int& bi)
{
    if (v > bv || (v == bv && i < bi)) { bv = v; bi = i; }
}

// Block argmax (lowest index on ties); every thread gets the index.
__device__ int block_argmax(float bv, int bi)
{
    __shared__ float sv[32];
    __shared__ int si[32];
    __shared__ int result;
#pragma unroll
    for (int o = 16; o > 0; o >>= 1)
    {
        float ov = __shfl_xor_sync(0xffffffffu, bv, o);
        int oi = __shfl_xor_sync(0xffffffffu, bi, o);
        better(ov, oi, bv, bi);
    }
    if ((threadIdx.x & 31) == 0) { sv[threadIdx.x >> 5] = bv; si[threadIdx.x >> 5] = bi; }
    __syncthreads();
    if (threadIdx.x == 0)
    {
        for (int w = 1; w < (int)(blockDim.x >> 5); w++) better(sv[w], si[w], bv, bi);
        result = bi;
    }
    __syncthreads();
    int r = result;
    __syncthreads();
    return r;
}

// Greedy: tokens[r] = argmax logits[r, :], lowest id on ties (the CPU sampler's rule). Each thread keeps
// ARGMAX_UNROLL loads in flight (float4 when the vocabulary is a multiple of 4, so rows stay 16-byte aligned): a
// loop of one dependent load at a time took 51 µs over Llama-3's 128,256 logits on an H200.
#define ARGMAX_UNROLL 8
extern "C" __global__ void __launch_bounds__(1024) argmax_rows(const float* __restrict__ logits, int vocab, int* __restrict__ tokens)
{ pdl_prologue();
    const float* row = logits + (long)blockIdx.x * vocab;
    const bool vec = (vocab & 3) == 0;
    const int width = vec ? 4 : 1, n = vocab / width;
    float bv = NEG_INF;
    int bi = 0x7fffffff, bad = 0;
    for (int i0 = threadIdx.x; i0 < n; i0 += ARGMAX_UNROLL * blockDim.x)
    {
        float4 v[ARGMAX_UNROLL];
#pragma unroll
        for (int u = 0; u < ARGMAX_UNROLL; u++)
        {
            const int i = i0 + u * blockDim.x;
            v[u] = i >= n ? make_float4(0.f, 0.f, 0.f, 0.f) : vec ? ((const float4*)row)[i] : make_float4(row[i], 0.f, 0.f, 0.f);
        }
#pragma unroll
        for (int u = 0; u < ARGMAX_UNROLL; u++)
        {
            const int i = i0 + u * blockDim.x;
            if (i >= n) break;
            const float e[4] = { v[u].x, v[u].y, v[u].z, v[u].w };
            for (int j = 0; j < width; j++)
            {
                bad |= not_finite(e[j]);
                better(e[j], i * width + j, bv, bi);
            }
        }
    }
    bad = __syncthreads_or(bad);
    int best = block_argmax(bv, bi);
    if (threadIdx.x == 0) tokens[blockIdx.x] = bad ? -1 : best;
}

// Temperature, top-k and top-p sampling. Probabilities p_i ∝ exp((l_i − max) / T). Top-k keeps the logits whose
// key is ≥ the k-th largest key (all tokens tied with the k-th are kept); top-p then keeps the smallest such
// top set whose mass reaches top_p of the total (the whole top-k set if it never does). A uniform draw from
// splitmix64(seeds[r]) picks a kept token in id order.
extern "C" __global__ void sample_rows(const float* __restrict__ logits, int vocab, float inv_temp, int top_k, float top_p,
    const u64* __restrict__ seeds, int* __restrict__ tokens)
{ pdl_prologue();
    __shared__ float scan[1024];
    __shared__ int chosen;
    const float* row = logits + (long)blockIdx.x * vocab;
    const int tid = threadIdx.x, nt = blockDim.x;

    float bv = NEG_INF;
    int bi = 0x7fffffff, bad = 0;
    for (int i = tid; i < vocab; i += nt)
    {
        float v = row[i];
        bad |= not_finite(v);
        better(v, i, bv, bi);
    }
    bad = __syncthreads_or(bad);
    const int top = block_argmax(bv, bi);
    if (bad)
    {
        if (tid == 0) tokens[blockIdx.x] = -1;
        return;
    }
    const float mx = row[top];

    u32 kth = 0;
    if (top_k > 0 && top_k < vocab)
    {
        u32 prefix = 0;
        for (int bit = 31; bit >= 0; bit--)
        {
            u32 cand = prefix | (1u << bit);
            int cnt = 0;
            for (int i = tid; i < vocab; i += nt) cnt += order_key(row[i]) >= cand;
            cnt = (int)block_sum((float)cnt);
            if (cnt >= top_k) prefix = cand;
        }
        kth = prefix;
    }

    u32 threshold = kth;
    if (top_p < 1.f)
    {
        float z = 0.f;
        for (int i = tid; i < vocab; i += nt) z += expf((row[i] - mx) * inv_temp);
        z = block_sum(z);
        const float target = top_p * z;
        u32 prefix = 0;
        for (int bit = 31; bit >= 0; bit--)
        {
            u32 cand = prefix | (1u << bit);
            u32 lim = cand > kth ? cand : kth;
            float mass = 0.f;
            for (int i = tid; i < vocab; i += nt)
            {
                float v = row[i];
                if (order_key(v) >= lim) mass += expf((v - mx) * inv_temp);
            }
            mass = block_sum(mass);
            if (mass >= target) prefix = cand;
        }
        threshold = prefix > kth ? prefix : kth;
    }

    // Contiguous id ranges per thread, so an exclusive scan of their kept mass orders the draw by token id.
    const int per = (vocab + nt - 1) / nt;
    const int lo = min(vocab, tid * per), hi = min(vocab, lo + per);
    float local = 0.f;
    for (int i = lo; i < hi; i++)
    {
        float v = row[i];
        if (order_key(v) >= threshold) local += expf((v - mx) * inv_temp);
    }
    scan[tid] = local;
    if (tid == 0) chosen = -1;
    __syncthreads();
    for (int o = 1; o < nt; o <<= 1)
    {
        float add = tid >= o ? scan[tid - o] : 0.f;
        __syncthreads();
        scan[tid] += add;
        __syncthreads();
    }
    const float total = scan[nt - 1];
    const float excl = scan[tid] - local;
    u64 r = mix64(seeds[blockIdx.x]);
    float draw = (float)(r >> 40) * (1.f / 16777216.f) * total;
    if (local > 0.f && draw >= excl && draw < excl + local)
    {
        float run = excl;
        int pick = -1;
        for (int i = lo; i < hi; i++)
        {
            float v = row[i];
            if (order_key(v) >= threshold)
            {
                pick = i;
                run += expf((v - mx) * inv_temp);
                if (run > draw) break;
            }
        }
        chosen = pick;
    }
    __syncthreads();
    if (tid == 0) tokens[blockIdx.x] = chosen >= 0 ? chosen : top;
}
