// An fp32 forward pass for calibration (uncomp calibrate --device cuda, precision fp32): the activations stay fp32 from
// the embedding to the last layer's q|k|v projection, as in the CPU engine, so the measured query entropies match the
// CPU's to float rounding (the bf16 engine rounds every product's input to bf16). Weights stay bf16 on the device and
// are widened as they are read. Simple CUDA-core kernels: calibration runs a few prefills, not a serving loop.

// out[r, :] = x[r, :] / sqrt(mean(x[r, :]²) + eps) ⊙ w, all fp32. Grid: rows; block 256.
extern "C" __global__ void rmsnorm_rows_f32(const float* __restrict__ x, const float* __restrict__ w, float* __restrict__ out, int hidden, float eps)
{ pdl_prologue();
    const float* row = x + (long)blockIdx.x * hidden;
    float* o = out + (long)blockIdx.x * hidden;
    float ss = 0.f;
    for (int i = threadIdx.x; i < hidden; i += blockDim.x) { const float v = row[i]; ss += v * v; }
    ss = block_sum(ss);
    const float inv = 1.f / sqrtf(ss / (float)hidden + eps);
    for (int i = threadIdx.x; i < hidden; i += blockDim.x) o[i] = row[i] * inv * w[i];
}

// y[r, o] = Σ_k x[r, k] · w[o, k] (+ y[r, o] when accumulate): x fp32 [rows, in], w bf16 [out, in] (widened),
// y fp32 [rows, out]. A block computes a 64 × 64 tile of y, 16 k at a time through shared memory; each of its 256
// threads owns 4 × 4 outputs. Grid: (ceil(out / 64), ceil(rows / 64)); block 256.
#define LF_TILE 64
#define LF_K 16
extern "C" __global__ void __launch_bounds__(256) linear_f32(const float* __restrict__ x, const bf16_t* __restrict__ w,
    float* __restrict__ y, int rows, int in, int out, int accumulate)
{ pdl_prologue();
    __shared__ float xs[LF_K][LF_TILE + 4];
    __shared__ float ws[LF_K][LF_TILE + 4];
    const int r0 = blockIdx.y * LF_TILE, o0 = blockIdx.x * LF_TILE;
    const int tx = threadIdx.x & 15, ty = threadIdx.x >> 4;
    float acc[4][4];
#pragma unroll
    for (int i = 0; i < 4; i++)
    {
#pragma unroll
        for (int j = 0; j < 4; j++) acc[i][j] = 0.f;
    }
    for (int k0 = 0; k0 < in; k0 += LF_K)
    {
        for (int e = threadIdx.x; e < LF_TILE * LF_K; e += blockDim.x)
        {
            const int r = e / LF_K, kk = e % LF_K, gk = k0 + kk;
            xs[kk][r] = r0 + r < rows && gk < in ? x[(long)(r0 + r) * in + gk] : 0.f;
            ws[kk][r] = o0 + r < out && gk < in ? bf2f(w[(long)(o0 + r) * in + gk]) : 0.f;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < LF_K; kk++)
        {
            float a[4], b[4];
#pragma unroll
            for (int i = 0; i < 4; i++) { a[i] = xs[kk][ty * 4 + i]; b[i] = ws[kk][tx * 4 + i]; }
#pragma unroll
            for (int i = 0; i < 4; i++)
            {
#pragma unroll
                for (int j = 0; j < 4; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
            }
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 4; i++)
    {
        const int r = r0 + ty * 4 + i;
        if (r >= rows) break;
#pragma unroll
        for (int j = 0; j < 4; j++)
        {
            const int o = o0 + tx * 4 + j;
            if (o < out) y[(long)r * out + o] = acc[i][j] + (accumulate ? y[(long)r * out + o] : 0.f);
        }
    }
}

// Splits the fused projection qkv[t] = [q | k | v] (fp32, + bias when given), rotates q and k by position with
// calib_query, as qkv_rope does (half-split rotate_half, angle = pos · invFreq[i] in fp32) and writes fp32 q [t, heads, d],
// k and v [t, kvHeads, d]. One thread per output column. Grid: (ceil(width / 256), tokens); block 256.
extern "C" __global__ void qkv_rope_f32(const float* __restrict__ qkv, const float* __restrict__ bias, const int* __restrict__ positions,
    const float* __restrict__ inv_freq, float* __restrict__ q, float* __restrict__ k, float* __restrict__ v, int heads, int kv_heads, int d)
{ pdl_prologue();
    const int t = blockIdx.y, col = blockIdx.x * blockDim.x + threadIdx.x;
    const int q_dim = heads * d, kv_dim = kv_heads * d, width = q_dim + 2 * kv_dim;
    if (col >= width) return;
    const float* row = qkv + (long)t * width;
    if (col >= q_dim + kv_dim)
    {
        v[(long)t * kv_dim + col - q_dim - kv_dim] = row[col] + (bias != 0 ? bias[col] : 0.f);
        return;
    }
    // calib_query (calibration.cu) rotates any head of the row: k heads follow the q heads.
    const int head = col / d;
    const float r = calib_query(qkv, bias, positions, inv_freq, t, head, col - head * d, width, d, 1);
    if (head < heads) q[(long)t * q_dim + col] = r;
    else k[(long)t * kv_dim + col - q_dim] = r;
}

// Causal grouped-query attention in fp32: o[t, h] = Σ_{j ≤ t} softmax_j(scale · q[t, h] · k[j, h / group]) · v[j, h / group].
// One warp per (query row, head), each lane holding d / 32 dimensions (d a multiple of 32, at most 128); online softmax
// over the keys in order. Grid: (ceil(n / 8), heads); block 256 (8 warps, 8 rows).
extern "C" __global__ void __launch_bounds__(256) causal_attention_f32(const float* __restrict__ q, const float* __restrict__ k,
    const float* __restrict__ v, float* __restrict__ o, int n, int heads, int kv_heads, int d, float scale)
{ pdl_prologue();
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int t = blockIdx.x * (blockDim.x >> 5) + warp, h = blockIdx.y;
    if (t >= n) return;
    const int kvh = h / (heads / kv_heads), per = d / 32;
    float qv[4], acc[4];
#pragma unroll
    for (int i = 0; i < 4; i++)
    {
        qv[i] = i < per ? q[((long)t * heads + h) * d + lane + 32 * i] : 0.f;
        acc[i] = 0.f;
    }
    float m = NEG_INF, l = 0.f;
    for (int j = 0; j <= t; j++)
    {
        const float* kr = k + ((long)j * kv_heads + kvh) * d;
        float s = 0.f;
#pragma unroll
        for (int i = 0; i < 4; i++)
        {
            if (i < per) s = fmaf(qv[i], kr[lane + 32 * i], s);
        }
        s = warp_sum(s) * scale;
        const float mn = fmaxf(m, s);
        const float corr = expf(m - mn), p = expf(s - mn);
        l = l * corr + p;
        const float* vr = v + ((long)j * kv_heads + kvh) * d;
#pragma unroll
        for (int i = 0; i < 4; i++)
        {
            if (i < per) acc[i] = acc[i] * corr + p * vr[lane + 32 * i];
        }
        m = mn;
    }
    const float inv = 1.f / l;
#pragma unroll
    for (int i = 0; i < 4; i++)
    {
        if (i < per) o[((long)t * heads + h) * d + lane + 32 * i] = acc[i] * inv;
    }
}

// h[r, j] = silu(gu[r, j]) · gu[r, ff + j] in fp32. Grid: (ceil(ff / 256), rows); block 256.
extern "C" __global__ void swiglu_rows_f32(const float* __restrict__ gu, float* __restrict__ h, int ff)
{ pdl_prologue();
    const int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= ff) return;
    const float* row = gu + (long)blockIdx.y * 2 * ff;
    const float g = row[j];
    h[(long)blockIdx.y * ff + j] = g / (1.f + expf(-g)) * row[ff + j];
}
