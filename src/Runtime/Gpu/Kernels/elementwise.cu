// Row-wise kernels of the forward pass: embedding, RMSNorm, RoPE (with the q/k/v split), SwiGLU, bias.

// x[t, :] = table[tokens[t], :] (bf16 → fp32). Grid: rows.
extern "C" __global__ void embed_rows(const int* __restrict__ tokens, const bf16_t* __restrict__ table, float* __restrict__ x, int hidden)
{ pdl_prologue();
    long tok = tokens[blockIdx.x];
    const bf16_t* row = table + tok * hidden;
    float* out = x + (long)blockIdx.x * hidden;
    for (int i = threadIdx.x; i < hidden; i += blockDim.x) out[i] = bf2f(row[i]);
}

// out[r, :] = bf16(x[r, :] / sqrt(mean(x[r, :]²) + eps) ⊙ w). Grid: rows; x rows start at x + r·hidden.
// hidden a multiple of 4: 16-byte loads and 8-byte stores (four columns per thread and step).
__device__ __forceinline__ u32 bf16x2_of(float lo, float hi) { return (u32)f2bf(lo) | ((u32)f2bf(hi) << 16); }

// RMS_UNROLL float4 loads per thread in flight (a loop of one dependent load at a time spent most of its 4.9 µs per
// 4,096-wide row waiting); the per-thread sums keep the column order, so the result does not depend on the unroll.
#define RMS_UNROLL 4

// 1 / sqrt(mean(row²) + eps) of a row of `hidden` floats (a multiple of 4, 16-byte aligned), every thread of the block
// taking part. The result depends on the block size (the order of the sum): rmsnorm_rows' 256 threads and the GEMV's
// GEMV_WARPS · 32 = 256 give the same bits, so a product with the norm fused stages what rmsnorm_rows writes.
__device__ __forceinline__ float rms_inverse(const float* __restrict__ row, int hidden, float eps)
{
    const float4* r4 = (const float4*)row;
    const int n4 = hidden / 4, stride = blockDim.x;
    float ss = 0.f;
    for (int i0 = threadIdx.x; i0 < n4; i0 += RMS_UNROLL * stride)
    {
        float4 v[RMS_UNROLL];
#pragma unroll
        for (int u = 0; u < RMS_UNROLL; u++) v[u] = i0 + u * stride < n4 ? r4[i0 + u * stride] : make_float4(0.f, 0.f, 0.f, 0.f);
#pragma unroll
        for (int u = 0; u < RMS_UNROLL; u++)
            if (i0 + u * stride < n4) ss += v[u].x * v[u].x + v[u].y * v[u].y + v[u].z * v[u].z + v[u].w * v[u].w;
    }
    ss = block_sum(ss);
    return rsqrtf(ss / (float)hidden + eps);
}

// Eight normed columns as bf16 (one 16-byte xs element of the GEMV): a and b are x[8i..8i+7], ga and gb the weights.
__device__ __forceinline__ uint4 rms_scale8(float4 a, float4 b, float4 ga, float4 gb, float inv)
{
    return make_uint4(bf16x2_of(a.x * inv * ga.x, a.y * inv * ga.y), bf16x2_of(a.z * inv * ga.z, a.w * inv * ga.w),
                      bf16x2_of(b.x * inv * gb.x, b.y * inv * gb.y), bf16x2_of(b.z * inv * gb.z, b.w * inv * gb.w));
}

extern "C" __global__ void rmsnorm_rows(const float* __restrict__ x, const float* __restrict__ w, bf16_t* __restrict__ out, int hidden, float eps)
{ pdl_prologue();
    const float* row = x + (long)blockIdx.x * hidden;
    bf16_t* o = out + (long)blockIdx.x * hidden;
    if ((hidden & 3) == 0)
    {
        const float4* r4 = (const float4*)row;
        const float4* w4 = (const float4*)w;
        const int n4 = hidden / 4, stride = blockDim.x;
        const float inv = rms_inverse(row, hidden, eps);
        for (int i0 = threadIdx.x; i0 < n4; i0 += RMS_UNROLL * stride)
        {
            float4 v[RMS_UNROLL], g[RMS_UNROLL];
#pragma unroll
            for (int u = 0; u < RMS_UNROLL; u++)
            {
                const int i = min(i0 + u * stride, n4 - 1);
                v[u] = r4[i];
                g[u] = w4[i];
            }
#pragma unroll
            for (int u = 0; u < RMS_UNROLL; u++)
            {
                const int i = i0 + u * stride;
                if (i < n4)
                    ((u64*)o)[i] = (u64)bf16x2_of(v[u].x * inv * g[u].x, v[u].y * inv * g[u].y) | ((u64)bf16x2_of(v[u].z * inv * g[u].z, v[u].w * inv * g[u].w) << 32);
            }
        }
        return;
    }
    float ss = 0.f;
    for (int i = threadIdx.x; i < hidden; i += blockDim.x) { float v = row[i]; ss += v * v; }
    ss = block_sum(ss);
    float inv = rsqrtf(ss / (float)hidden + eps);
    for (int i = threadIdx.x; i < hidden; i += blockDim.x) o[i] = f2bf(row[i] * inv * w[i]);
}

// Splits the fused projection qkv[t] = [q (heads·d) | k (kvHeads·d) | v (kvHeads·d)] (fp32, + bias when given),
// rotates q and k by position (half-split rotate_half convention, angle = pos · invFreq[i] in fp32) and writes
// bf16 q [t, heads, d], k and v [t, kvHeads, d]. A rotation item is (pair i, a group of ROPE_HEADS heads): one
// sincos serves the group. Grid: (ceil((half · ceil((heads + kvHeads) / ROPE_HEADS) + kv_dim) / blockDim), tokens).
#define ROPE_HEADS 8
extern "C" __global__ void qkv_rope(const float* __restrict__ qkv, const float* __restrict__ bias, const int* __restrict__ positions,
    const float* __restrict__ inv_freq, bf16_t* __restrict__ q, bf16_t* __restrict__ k, bf16_t* __restrict__ v,
    int heads, int kv_heads, int d)
{ pdl_prologue();
    int t = blockIdx.y;
    int half = d / 2;
    int q_dim = heads * d, kv_dim = kv_heads * d, width = q_dim + 2 * kv_dim;
    const float* row = qkv + (long)t * width;
    float pos = (float)positions[t];
    int groups = (heads + kv_heads + ROPE_HEADS - 1) / ROPE_HEADS;
    int rotations = groups * half;
    int item = blockIdx.x * blockDim.x + threadIdx.x;
    if (item < rotations)
    {
        int group = item / half, i = item - group * half;
        float s, c;
        sincosf(pos * inv_freq[i], &s, &c);
        int h0 = group * ROPE_HEADS, h1 = min(h0 + ROPE_HEADS, heads + kv_heads);
        for (int head = h0; head < h1; head++)
        {
            int col = head * d + i; // q heads then k heads are contiguous in the row
            float a = row[col], b = row[col + half];
            if (bias != 0) { a += bias[col]; b += bias[col + half]; }
            float r0, r1;
            rope_rotate(a, b, s, c, r0, r1);
            bf16_t* o = head < heads ? q + (long)t * q_dim + head * d : k + (long)t * kv_dim + (head - heads) * d;
            o[i] = f2bf(r0); o[i + half] = f2bf(r1);
        }
    }
    else if (item < rotations + kv_dim)
    {
        int j = item - rotations;
        int col = q_dim + kv_dim + j;
        float val = row[col] + (bias != 0 ? bias[col] : 0.f);
        v[(long)t * kv_dim + j] = f2bf(val);
    }
}

// h[r, j] = bf16(silu(gu[r, j]) · gu[r, ff + j]): the fused [gate | up] projection to the SwiGLU activation.
// ff a multiple of 8: eight columns per thread with 16-byte loads and stores. Grid: (ceil(ff / (8 or 1) / blockDim), rows).
extern "C" __global__ void swiglu_rows(const bf16_t* __restrict__ gu, bf16_t* __restrict__ h, int ff)
{ pdl_prologue();
    const int j = blockIdx.x * blockDim.x + threadIdx.x;
    const bf16_t* row = gu + (long)blockIdx.y * 2 * ff;
    bf16_t* out = h + (long)blockIdx.y * ff;
    if ((ff & 7) == 0)
    {
        if (j >= ff / 8) return;
        const uint4 g4 = ((const uint4*)row)[j], u4 = ((const uint4*)(row + ff))[j];
        const u32 gw[4] = { g4.x, g4.y, g4.z, g4.w }, uw[4] = { u4.x, u4.y, u4.z, u4.w };
        u32 r[4];
#pragma unroll
        for (int e = 0; e < 4; e++)
        {
            const float g0 = bf_lo(gw[e]), g1 = bf_hi(gw[e]);
            r[e] = bf16x2_of(g0 / (1.f + expf(-g0)) * bf_lo(uw[e]), g1 / (1.f + expf(-g1)) * bf_hi(uw[e]));
        }
        ((uint4*)out)[j] = make_uint4(r[0], r[1], r[2], r[3]);
        return;
    }
    if (j >= ff) return;
    float g = bf2f(row[j]), u = bf2f(row[ff + j]);
    out[j] = f2bf(g / (1.f + expf(-g)) * u);
}

// y[r, :] += b. Grid: rows.
extern "C" __global__ void add_bias_rows(float* __restrict__ y, const float* __restrict__ b, int cols)
{ pdl_prologue();
    float* row = y + (long)blockIdx.x * cols;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) row[j] += b[j];
}

// Gathers rows: dst[i, :] = src[index[i], :] (fp32), for the last-token logits of a prefill.
extern "C" __global__ void gather_rows_f32(const float* __restrict__ src, const int* __restrict__ index, float* __restrict__ dst, int cols)
{ pdl_prologue();
    const float* s = src + (long)index[blockIdx.x] * cols;
    float* o = dst + (long)blockIdx.x * cols;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) o[j] = s[j];
}

// fp32 → bf16 conversion of n elements (tests and weight conversion).
extern "C" __global__ void f32_to_bf16(const float* __restrict__ src, bf16_t* __restrict__ dst, long n)
{ pdl_prologue();
    for (long i = (long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) dst[i] = f2bf(src[i]);
}

// Matrix-vector product for one token (batch-1 decode): y[m] = Σ_k W[m, k] · x[k] (+ y[m] when accumulate),
// W bf16 [M, K] row-major (K a multiple of 8), x bf16 [K], y fp32 or bf16. Each warp streams GEMV_ROWS rows with
// 16-byte loads (x is staged in shared memory once per block); memory-bound, so several loads stay in flight.
// ksplit (1, 2 or 4) warps share a row group, each taking a contiguous part of K, so a short matrix (few rows) has
// more warps and shorter chains of dependent loads; their partial sums meet in shared memory (fixed order).
// Grid: ceil(m / (GEMV_ROWS · GEMV_WARPS / ksplit)); block GEMV_WARPS · 32; dynamic shared memory: 2·k bytes (6·k
// with the norm fused: its fp32 weights follow x).
#ifndef GEMV_WARPS
#define GEMV_WARPS 8
#endif
#ifndef GEMV_ROWS
#define GEMV_ROWS 2
#endif
// 16-byte loads per row in flight per lane (tools/gpu/kernel_lab.py --gemv varies it with the two above).
#ifndef GEMV_UNROLL
#define GEMV_UNROLL 4
#endif
// x loads per thread in flight while staging it.
#define GEMV_STAGE_UNROLL 4
// With prefetch set, each lane's first weight loads are issued before the wait for the predecessor kernel and before
// x is staged (same arithmetic, same result). With swiglu_ff > 0 (even), W is the fused [gate | up] projection
// [2·ff, k] and y the bf16 SwiGLU activation [ff]: a warp's first GEMV_ROWS/2 rows are gates j, j+1, … and the others
// the matching ups ff+j, ff+j+1, …, and
// the epilogue writes h[j] = bf16(silu(g)·u) from the bf16-rounded g and u, as gemv then swiglu_rows compute it (one
// launch and one round trip of the [2·ff] vector fewer; m = 2·ff, accumulate and out_bf16 unused). With norm_w set, x is ignored and the block
// stages bf16(xf · rsqrt(mean(xf²) + eps) ⊙ norm_w) instead (RMSNorm of the fp32 residual row fused into the product's
// input: one launch fewer per norm; rms_inverse with the same 256 threads, so the same bits as rmsnorm_rows writes).
static_assert(GEMV_ROWS % 2 == 0, "the SwiGLU epilogue pairs a warp's gate rows with as many up rows");
extern "C" __global__ void __launch_bounds__(GEMV_WARPS * 32) gemv_bf16(const bf16_t* __restrict__ w, const bf16_t* __restrict__ x,
    void* __restrict__ y, int m, int k, int accumulate, int out_bf16, int ksplit, const float* __restrict__ xf,
    const float* __restrict__ norm_w, float eps, int prefetch, int swiglu_ff)
{
    extern __shared__ __attribute__((aligned(16))) unsigned char gemv_smem[];
    __shared__ float partial[GEMV_WARPS][GEMV_ROWS];
    uint4* xs = (uint4*)gemv_smem;
    const int vecs = k / 8;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int group = warp / ksplit, part = warp % ksplit;
    const int row0 = (blockIdx.x * (GEMV_WARPS / ksplit) + group) * GEMV_ROWS;
    const int v0 = part * vecs / ksplit, v1 = (part + 1) * vecs / ksplit;
    float acc[GEMV_ROWS];
    const uint4* wr[GEMV_ROWS];
#pragma unroll
    for (int r = 0; r < GEMV_ROWS; r++)
    {
        acc[r] = 0.f;
        // The SwiGLU pairing: the first half of a group's rows are gates p0, p0 + 1, … and the second half the matching
        // ups (row0 = 2·p0).
        const int row = swiglu_ff > 0 ? (r < GEMV_ROWS / 2 ? row0 / 2 + r : swiglu_ff + row0 / 2 + r - GEMV_ROWS / 2) : row0 + r;
        wr[r] = (const uint4*)(w + (long)min(row, m - 1) * k);
    }
    // GEMV_UNROLL 16-byte loads per row in flight per lane before any use (memory-level parallelism). Warps past the last
    // row skip the loads but stay for the barriers.
    uint4 wv[GEMV_UNROLL][GEMV_ROWS];
    auto load = [&](int i0) {
#pragma unroll
        for (int u = 0; u < GEMV_UNROLL; u++)
        {
            int i = i0 + u * 32;
#pragma unroll
            for (int r = 0; r < GEMV_ROWS; r++) wv[u][r] = row0 < m && i < v1 ? wr[r][i] : make_uint4(0u, 0u, 0u, 0u);
        }
    };
    const int first = v0 + lane;
    // With the norm fused, its weights (no earlier kernel writes them) go to shared memory behind xs by cp.async,
    // before the wait as well.
    float* nw = (float*)(gemv_smem + 2 * (long)k);
    auto stage_norm_weights = [&]() {
        for (int i = threadIdx.x; i < k / 4; i += blockDim.x) cp_async16(smem_addr(nw + 4 * i), norm_w + 4 * i, 16);
        cp_async_commit();
    };
    if (prefetch)
    {
        // The weights depend on no earlier kernel: their first loads go out before the wait for the predecessor (under
        // programmatic dependent launch, while it finishes) and before x is staged.
        pdl_launch_dependents();
        load(first);
        if (norm_w != 0) stage_norm_weights();
        pdl_wait();
    }
    else
    {
        pdl_prologue();
        if (norm_w != 0) stage_norm_weights();
    }
    // x into shared memory, GEMV_STAGE_UNROLL loads per thread in flight before their stores.
    if (norm_w != 0)
    {
        const float inv = rms_inverse(xf, k, eps);   // synchronises
        cp_async_wait<0>();
        __syncthreads();
        const float4* x4 = (const float4*)xf;
        const float4* g4 = (const float4*)nw;
        for (int i0 = threadIdx.x; i0 < vecs; i0 += GEMV_STAGE_UNROLL * blockDim.x)
        {
            float4 a[GEMV_STAGE_UNROLL], b[GEMV_STAGE_UNROLL];
#pragma unroll
            for (int u = 0; u < GEMV_STAGE_UNROLL; u++)
            {
                const int i = min(i0 + u * (int)blockDim.x, vecs - 1);
                a[u] = x4[2 * i];
                b[u] = x4[2 * i + 1];
            }
#pragma unroll
            for (int u = 0; u < GEMV_STAGE_UNROLL; u++)
            {
                const int i = i0 + u * blockDim.x;
                if (i < vecs) xs[i] = rms_scale8(a[u], b[u], g4[2 * i], g4[2 * i + 1], inv);
            }
        }
    }
    else
    {
        for (int i0 = threadIdx.x; i0 < vecs; i0 += GEMV_STAGE_UNROLL * blockDim.x)
        {
            uint4 t[GEMV_STAGE_UNROLL];
#pragma unroll
            for (int u = 0; u < GEMV_STAGE_UNROLL; u++) t[u] = ((const uint4*)x)[min(i0 + u * (int)blockDim.x, vecs - 1)];
#pragma unroll
            for (int u = 0; u < GEMV_STAGE_UNROLL; u++)
                if (i0 + u * (int)blockDim.x < vecs) xs[i0 + u * blockDim.x] = t[u];
        }
    }
    __syncthreads();
    for (int i0 = first; row0 < m && i0 < v1; i0 += 32 * GEMV_UNROLL)
    {
        if (!prefetch || i0 != first) load(i0);
#pragma unroll
        for (int u = 0; u < GEMV_UNROLL; u++)
        {
            int i = i0 + u * 32;
            if (i >= v1) break;
            uint4 xv = xs[i];
            float xf[8] = { bf_lo(xv.x), bf_hi(xv.x), bf_lo(xv.y), bf_hi(xv.y), bf_lo(xv.z), bf_hi(xv.z), bf_lo(xv.w), bf_hi(xv.w) };
#pragma unroll
            for (int r = 0; r < GEMV_ROWS; r++)
            {
                uint4 v = wv[u][r];
                acc[r] += bf_lo(v.x) * xf[0] + bf_hi(v.x) * xf[1] + bf_lo(v.y) * xf[2] + bf_hi(v.y) * xf[3]
                        + bf_lo(v.z) * xf[4] + bf_hi(v.z) * xf[5] + bf_lo(v.w) * xf[6] + bf_hi(v.w) * xf[7];
            }
        }
    }
#pragma unroll
    for (int r = 0; r < GEMV_ROWS; r++) acc[r] = warp_sum(acc[r]);
    if (lane == 0)
    {
#pragma unroll
        for (int r = 0; r < GEMV_ROWS; r++) partial[warp][r] = acc[r];
    }
    __syncthreads();
    if (swiglu_ff > 0)
    {
        if (lane == 0 && part == 0 && row0 < m)
        {
#pragma unroll
            for (int e = 0; e < GEMV_ROWS / 2; e++)
            {
                float g = 0.f, u = 0.f;
                for (int p = 0; p < ksplit; p++) { g += partial[warp + p][e]; u += partial[warp + p][GEMV_ROWS / 2 + e]; }
                g = bf2f(f2bf(g));
                u = bf2f(f2bf(u));
                ((bf16_t*)y)[row0 / 2 + e] = f2bf(g / (1.f + expf(-g)) * u);
            }
        }
        return;
    }
    if (lane == 0 && part == 0 && row0 < m)
    {
#pragma unroll
        for (int r = 0; r < GEMV_ROWS; r++)
        {
            int row = row0 + r;
            if (row >= m) break;
            float sum = 0.f;
            for (int p = 0; p < ksplit; p++) sum += partial[warp + p][r];
            if (out_bf16) ((bf16_t*)y)[row] = f2bf(sum + (accumulate ? bf2f(((bf16_t*)y)[row]) : 0.f));
            else ((float*)y)[row] = sum + (accumulate ? ((float*)y)[row] : 0.f);
        }
    }
}
