// Calibration on the device (uncomp calibrate --device cuda): for one prompt and one layer, per query head, the sums
// Σ_t z_t z_tᵀ in float64 of the centred, unit-length query rows (MatrixEntropy.Covariance's sums; the host finishes
// with MatrixEntropy.FinishCovariance and takes the eigenvalues). The queries are read in fp32 from the q|k|v
// projection, bias added and RoPE applied as qkv_rope does before it rounds to bf16 (rope = 0: pre-RoPE queries).
// qkv [n, width] fp32 (q heads first); bias [width] or null; pairs: the d(d+1)/2 upper-triangle entries (i << 16 | j);
// out [heads][d][d] (upper triangle written). Grid: heads; block 256; dynamic shared memory (d + QC_TILE·d) doubles.

#define QC_TILE 16
#define QC_MAX_ENTRIES 33

__device__ __forceinline__ float calib_query(const float* __restrict__ qkv, const float* __restrict__ bias,
    const int* __restrict__ positions, const float* __restrict__ inv_freq, int t, int h, int e, int width, int d, int rope)
{
    const int half = d / 2, col0 = h * d;
    const float* row = qkv + (long)t * width;
    if (!rope) return row[col0 + e] + (bias != 0 ? bias[col0 + e] : 0.f);
    const int i = e < half ? e : e - half;
    float a = row[col0 + i], b = row[col0 + i + half];
    if (bias != 0) { a += bias[col0 + i]; b += bias[col0 + i + half]; }
    float s, c;
    sincosf((float)positions[t] * inv_freq[i], &s, &c);
    return e < half ? a * c - b * s : b * c + a * s;
}

extern "C" __global__ void __launch_bounds__(256) query_covariance(const float* __restrict__ qkv, const float* __restrict__ bias,
    const int* __restrict__ positions, const float* __restrict__ inv_freq, const int* __restrict__ pairs, double* __restrict__ out,
    int n, int width, int d, int rope)
{ pdl_prologue();
    extern __shared__ double qc_sh[];
    double* mean = qc_sh;
    double* rows = qc_sh + d;
    const int h = blockIdx.x, tid = threadIdx.x, bd = blockDim.x;
    const int warp = tid >> 5, lane = tid & 31, warps = bd >> 5;
    for (int e = tid; e < d; e += bd)
    {
        double m = 0.0;
        for (int t = 0; t < n; t++) m += (double)calib_query(qkv, bias, positions, inv_freq, t, h, e, width, d, rope);
        mean[e] = m / n;
    }
    __syncthreads();
    const int entries = d * (d + 1) / 2;
    double acc[QC_MAX_ENTRIES];
#pragma unroll
    for (int k = 0; k < QC_MAX_ENTRIES; k++) acc[k] = 0.0;
    for (int t0 = 0; t0 < n; t0 += QC_TILE)
    {
        for (int r = warp; r < QC_TILE; r += warps)
        {
            const int t = t0 + r;
            double ss = 0.0;
            for (int e = lane; e < d; e += 32)
            {
                const double z = t < n ? (double)calib_query(qkv, bias, positions, inv_freq, t, h, e, width, d, rope) - mean[e] : 0.0;
                rows[r * d + e] = z;
                ss += z * z;
            }
#pragma unroll
            for (int o = 16; o > 0; o >>= 1) ss += __shfl_xor_sync(0xffffffffu, ss, o);
            const double inv = 1.0 / fmax(sqrt(ss), 1e-12);
            for (int e = lane; e < d; e += 32) rows[r * d + e] *= inv;
        }
        __syncthreads();
        const int count = min(QC_TILE, n - t0);
#pragma unroll
        for (int k = 0; k < QC_MAX_ENTRIES; k++)
        {
            const int idx = tid + k * bd;
            if (idx < entries)
            {
                const int i = pairs[idx] >> 16, j = pairs[idx] & 0xffff;
                double a = 0.0;
                for (int r = 0; r < count; r++) a += rows[r * d + i] * rows[r * d + j];
                acc[k] += a;
            }
        }
        __syncthreads();
    }
#pragma unroll
    for (int k = 0; k < QC_MAX_ENTRIES; k++)
    {
        const int idx = tid + k * bd;
        if (idx < entries) out[((long)h * d + (pairs[idx] >> 16)) * d + (pairs[idx] & 0xffff)] = acc[k];
    }
}
