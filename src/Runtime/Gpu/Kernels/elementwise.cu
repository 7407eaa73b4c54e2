// Row-wise kernels of the forward pass: embedding, RMSNorm, RoPE (with the q/k/v split), SwiGLU, bias.

// x[t, :] = table[tokens[t], :] (bf16 → fp32). Grid: rows.
extern "C" __global__ void embed_rows(const int* __restrict__ tokens, const bf16_t* __restrict__ table, float* __restrict__ x, int hidden)
{
    long tok = tokens[blockIdx.x];
    const bf16_t* row = table + tok * hidden;
    float* out = x + (long)blockIdx.x * hidden;
    for (int i = threadIdx.x; i < hidden; i += blockDim.x) out[i] = bf2f(row[i]);
}

// out[r, :] = bf16(x[r, :] / sqrt(mean(x[r, :]²) + eps) ⊙ w). Grid: rows; x rows start at x + r·hidden.
extern "C" __global__ void rmsnorm_rows(const float* __restrict__ x, const float* __restrict__ w, bf16_t* __restrict__ out, int hidden, float eps)
{
    const float* row = x + (long)blockIdx.x * hidden;
    float ss = 0.f;
    for (int i = threadIdx.x; i < hidden; i += blockDim.x) { float v = row[i]; ss += v * v; }
    ss = block_sum(ss);
    float inv = rsqrtf(ss / (float)hidden + eps);
    bf16_t* o = out + (long)blockIdx.x * hidden;
    for (int i = threadIdx.x; i < hidden; i += blockDim.x) o[i] = f2bf(row[i] * inv * w[i]);
}

// Splits the fused projection qkv[t] = [q (heads·d) | k (kvHeads·d) | v (kvHeads·d)] (fp32, + bias when given),
// rotates q and k by position (half-split rotate_half convention, angle = pos · invFreq[i] in fp32) and writes
// bf16 q [t, heads, d], k and v [t, kvHeads, d]. Grid: (ceil((pairs + kv_dim) / blockDim), tokens).
extern "C" __global__ void qkv_rope(const float* __restrict__ qkv, const float* __restrict__ bias, const int* __restrict__ positions,
    const float* __restrict__ inv_freq, bf16_t* __restrict__ q, bf16_t* __restrict__ k, bf16_t* __restrict__ v,
    int heads, int kv_heads, int d)
{
    int t = blockIdx.y;
    int half = d / 2;
    int q_dim = heads * d, kv_dim = kv_heads * d, width = q_dim + 2 * kv_dim;
    const float* row = qkv + (long)t * width;
    float pos = (float)positions[t];
    // Rotated pairs of q and k heads.
    int pairs = (heads + kv_heads) * half;
    int item = blockIdx.x * blockDim.x + threadIdx.x;
    if (item < pairs)
    {
        int p = item;
        int head = p / half, i = p - head * half;
        int col = head * d + i; // q heads then k heads are contiguous in the row
        float a = row[col], b = row[col + half];
        if (bias != 0) { a += bias[col]; b += bias[col + half]; }
        float s, c;
        sincosf(pos * inv_freq[i], &s, &c);
        float r0 = a * c - b * s, r1 = b * c + a * s;
        if (head < heads)
        {
            bf16_t* o = q + (long)t * q_dim + head * d;
            o[i] = f2bf(r0); o[i + half] = f2bf(r1);
        }
        else
        {
            bf16_t* o = k + (long)t * kv_dim + (head - heads) * d;
            o[i] = f2bf(r0); o[i + half] = f2bf(r1);
        }
    }
    else if (item < pairs + kv_dim)
    {
        int j = item - pairs;
        int col = q_dim + kv_dim + j;
        float val = row[col] + (bias != 0 ? bias[col] : 0.f);
        v[(long)t * kv_dim + j] = f2bf(val);
    }
}

// h[r, j] = bf16(silu(gu[r, j]) · gu[r, ff + j]): the fused [gate | up] projection to the SwiGLU activation.
// Grid: (ceil(ff / blockDim), rows).
extern "C" __global__ void swiglu_rows(const bf16_t* __restrict__ gu, bf16_t* __restrict__ h, int ff)
{
    const int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= ff) return;
    const bf16_t* row = gu + (long)blockIdx.y * 2 * ff;
    float g = bf2f(row[j]), u = bf2f(row[ff + j]);
    h[(long)blockIdx.y * ff + j] = f2bf(g / (1.f + expf(-g)) * u);
}

// y[r, :] += b. Grid: rows.
extern "C" __global__ void add_bias_rows(float* __restrict__ y, const float* __restrict__ b, int cols)
{
    float* row = y + (long)blockIdx.x * cols;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) row[j] += b[j];
}

// Gathers rows: dst[i, :] = src[index[i], :] (fp32), for the last-token logits of a prefill.
extern "C" __global__ void gather_rows_f32(const float* __restrict__ src, const int* __restrict__ index, float* __restrict__ dst, int cols)
{
    const float* s = src + (long)index[blockIdx.x] * cols;
    float* o = dst + (long)blockIdx.x * cols;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) o[j] = s[j];
}

// fp32 → bf16 conversion of n elements (tests and weight conversion).
extern "C" __global__ void f32_to_bf16(const float* __restrict__ src, bf16_t* __restrict__ dst, long n)
{
    for (long i = (long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) dst[i] = f2bf(src[i]);
}

// Matrix-vector product for one token (batch-1 decode): y[m] = Σ_k W[m, k] · x[k] (+ y[m] when accumulate),
// W bf16 [M, K] row-major (K a multiple of 8), x bf16 [K], y fp32 or bf16. Each warp streams GEMV_ROWS rows with
// 16-byte loads (x is staged in shared memory once per block); memory-bound, so several loads stay in flight.
// ksplit (1, 2 or 4) warps share a row group, each taking a contiguous part of K, so a short matrix (few rows) has
// more warps and shorter chains of dependent loads; their partial sums meet in shared memory (fixed order).
// Grid: ceil(m / (GEMV_ROWS · GEMV_WARPS / ksplit)); block GEMV_WARPS · 32; dynamic shared memory: 2·k bytes.
#define GEMV_WARPS 4
#define GEMV_ROWS 4
extern "C" __global__ void __launch_bounds__(GEMV_WARPS * 32) gemv_bf16(const bf16_t* __restrict__ w, const bf16_t* __restrict__ x,
    void* __restrict__ y, int m, int k, int accumulate, int out_bf16, int ksplit)
{
    extern __shared__ __attribute__((aligned(16))) unsigned char gemv_smem[];
    __shared__ float partial[GEMV_WARPS][GEMV_ROWS];
    uint4* xs = (uint4*)gemv_smem;
    const int vecs = k / 8;
    for (int i = threadIdx.x; i < vecs; i += blockDim.x) xs[i] = ((const uint4*)x)[i];
    __syncthreads();
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
        wr[r] = (const uint4*)(w + (long)min(row0 + r, m - 1) * k);
    }
    // Four 16-byte loads per row in flight per lane before any use (memory-level parallelism). Warps past the last
    // row skip the loads but stay for the barrier below.
    for (int i0 = v0 + lane; row0 < m && i0 < v1; i0 += 32 * 4)
    {
        uint4 wv[4][GEMV_ROWS];
#pragma unroll
        for (int u = 0; u < 4; u++)
        {
            int i = i0 + u * 32;
#pragma unroll
            for (int r = 0; r < GEMV_ROWS; r++) wv[u][r] = i < v1 ? wr[r][i] : make_uint4(0u, 0u, 0u, 0u);
        }
#pragma unroll
        for (int u = 0; u < 4; u++)
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
