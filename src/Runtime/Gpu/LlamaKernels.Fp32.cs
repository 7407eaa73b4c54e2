using UNComp.Runtime.Cuda;

namespace UNComp.Runtime.Gpu;

/// <summary>The fp32 forward pass's kernels (<c>forward_f32.cu</c>): calibration with the CPU engine's precision.</summary>
public sealed partial class LlamaKernels
{
    /// <summary>out = RMSNorm(x) ⊙ w for <paramref name="rows"/> rows, fp32 in and out.</summary>
    /// <exception cref="ArgumentException">A tensor is not fp32 or the widths disagree.</exception>
    public void RmsNormF32(DeviceTensor x, DeviceTensor weight, DeviceTensor output, int rows, float eps)
    {
        RequireF32(nameof(RmsNormF32), x, weight, output);
        if (weight.Cols != x.Cols || output.Cols != x.Cols)
        {
            throw new ArgumentException($"RmsNormF32 widths disagree: x {x.Cols}, weight {weight.Cols}, output {output.Cols}.");
        }

        Module.Launch("rmsnorm_rows_f32", (rows, 1, 1), 256, 0, x, weight, output, x.Cols, eps);
    }

    /// <summary>
    /// y = x · wᵀ (+ y when <paramref name="accumulate"/>) in fp32 for <paramref name="rows"/> rows: x fp32 [rows, in],
    /// w bf16 [out, in] (widened as read), y fp32 [rows, out].
    /// </summary>
    /// <exception cref="ArgumentException">The types or shapes do not fit.</exception>
    public void LinearF32(DeviceTensor x, DeviceTensor w, DeviceTensor y, int rows, bool accumulate)
    {
        if (x.Type != DType.F32 || w.Type != DType.BF16 || y.Type != DType.F32 || x.Cols != w.Cols || y.Cols != w.Rows)
        {
            throw new ArgumentException($"LinearF32 takes fp32 x [rows, in], bf16 w [out, in] and fp32 y [rows, out]; got x {x.Type} [{x.Rows}, {x.Cols}], w {w.Type} [{w.Rows}, {w.Cols}], y {y.Type} [{y.Rows}, {y.Cols}].");
        }

        Module.Launch("linear_f32", ((w.Rows + 63) / 64, (rows + 63) / 64, 1), 256, 0, x, w, y, rows, w.Cols, w.Rows, accumulate ? 1 : 0);
    }

    /// <summary>Splits the fp32 q|k|v projection, adds the bias (if any) and applies RoPE at <paramref name="positions"/>, fp32 out.</summary>
    /// <exception cref="ArgumentException">A tensor is not fp32.</exception>
    public void QkvRopeF32(DeviceTensor qkv, ulong bias, ulong positions, DeviceTensor invFreq, DeviceTensor q, DeviceTensor k, DeviceTensor v,
        int rows, int heads, int kvHeads, int headDim)
    {
        RequireF32(nameof(QkvRopeF32), qkv, q, k, v);
        int width = (heads + (2 * kvHeads)) * headDim;
        Module.Launch("qkv_rope_f32", ((width + 255) / 256, rows, 1), 256, 0, qkv, bias, positions, invFreq, q, k, v, heads, kvHeads, headDim);
    }

    /// <summary>
    /// Causal GQA attention in fp32 over <paramref name="n"/> tokens: q, o [n, heads, d]; k, v [n, kvHeads, d];
    /// d a multiple of 32 up to 128.
    /// </summary>
    /// <exception cref="ArgumentException">A tensor is not fp32, or the head dimension is not 32, 64, 96 or 128.</exception>
    public void CausalAttentionF32(DeviceTensor q, DeviceTensor k, DeviceTensor v, DeviceTensor o, int n, int heads, int kvHeads, int headDim, float scale)
    {
        RequireF32(nameof(CausalAttentionF32), q, k, v, o);
        if (headDim % 32 != 0 || headDim > 128 || headDim == 0 || heads % kvHeads != 0)
        {
            throw new ArgumentException($"CausalAttentionF32 takes a head dimension that is a multiple of 32 up to 128 and query heads a multiple of the KV heads; got d = {headDim}, {heads} heads, {kvHeads} KV heads.");
        }

        Module.Launch("causal_attention_f32", ((n + 7) / 8, heads, 1), 256, 0, q, k, v, o, n, heads, kvHeads, headDim, scale);
    }

    /// <summary>h = silu(gate) ⊙ up from the fused fp32 [gate | up] rows, fp32 out.</summary>
    /// <exception cref="ArgumentException">A tensor is not fp32 or the widths disagree.</exception>
    public void SwiGluF32(DeviceTensor gateUp, DeviceTensor h, int rows)
    {
        RequireF32(nameof(SwiGluF32), gateUp, h);
        if (gateUp.Cols != 2 * h.Cols)
        {
            throw new ArgumentException($"SwiGluF32 takes [gate | up] rows twice as wide as h; got {gateUp.Cols} and {h.Cols}.");
        }

        Module.Launch("swiglu_rows_f32", ((h.Cols + 255) / 256, rows, 1), 256, 0, gateUp, h, h.Cols);
    }

    private static void RequireF32(string kernel, params ReadOnlySpan<DeviceTensor> tensors)
    {
        foreach (var t in tensors)
        {
            if (t.Type != DType.F32)
            {
                throw new ArgumentException($"{kernel} takes fp32 tensors; got {t.Type} [{t.Rows}, {t.Cols}].");
            }
        }
    }
}
