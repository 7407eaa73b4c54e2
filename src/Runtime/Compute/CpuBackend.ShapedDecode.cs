using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using UNComp.Runtime.Generation;

namespace UNComp.Runtime.Compute;

/// <summary>Decode attention with the head dimension and query heads per unit fixed by a compiled profile's shape.</summary>
public sealed unsafe partial class CpuBackend
{
    /// <summary>
    /// <see cref="DecodeAttention(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, int, int, int, float)"/>
    /// with <c>queryHeads</c> = <typeparamref name="TShape"/>.QueryHeadsPerUnit and <c>headDim</c> = <typeparamref name="TShape"/>.HeadDim
    /// as constants of the instantiation.
    /// </summary>
    internal void DecodeAttention<TShape>(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, ReadOnlySpan<float> newKey,
        ReadOnlySpan<float> newValue, Span<float> probs, Span<float> output, int length, float scale)
        where TShape : struct, IModelShape
    {
        int d = TShape.HeadDim;
        int queryHeads = TShape.QueryHeadsPerUnit;
        CheckLength(q, (long)queryHeads * d, nameof(q));
        CheckLength(keys, (long)length * d, nameof(keys));
        CheckLength(values, (long)length * d, nameof(values));
        CheckLength(probs, (long)queryHeads * (length + 1), nameof(probs));
        CheckLength(output, (long)queryHeads * d, nameof(output));
        fixed (float* pq = q, pk = keys, pv = values, pp = probs, po = output)
        {
            if (length > 0)
            {
                new MatMulJob(pq, pk, null, pp, queryHeads, d, length, length + 1).Run(0, length);
            }

            for (int h = 0; h < queryHeads; h++)
            {
                var p = probs.Slice(h * (length + 1), length + 1);
                TensorPrimitives.Multiply(p.Slice(0, length), scale, p.Slice(0, length));
                p[length] = TensorPrimitives.Dot(q.Slice(h * d, d), newKey) * scale;
                FastExp.Softmax(p);
                WeightedSum<TShape>(pv, pp + ((long)h * (length + 1)), length, po + ((long)h * d), p[length], newValue);
            }
        }
    }

    /// <summary>out = (Σ_j p[j] · v[j]) + pNew · vNew over d = <typeparamref name="TShape"/>.HeadDim columns (a constant).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightedSum<TShape>(float* v, float* p, int n, float* output, float pNew, ReadOnlySpan<float> newValue)
        where TShape : struct, IModelShape
    {
        int d = TShape.HeadDim;
        if (Vector256.IsHardwareAccelerated && d % 32 == 0)
        {
            fixed (float* nv = newValue)
            {
                for (int c = 0; c < d; c += 32)
                {
                    Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                    float* row = v + c;
                    for (int j = 0; j < n; j++, row += d)
                    {
                        var pj = Vector256.Create(p[j]);
                        a0 = Vector256.MultiplyAddEstimate(Vector256.Load(row), pj, a0);
                        a1 = Vector256.MultiplyAddEstimate(Vector256.Load(row + 8), pj, a1);
                        a2 = Vector256.MultiplyAddEstimate(Vector256.Load(row + 16), pj, a2);
                        a3 = Vector256.MultiplyAddEstimate(Vector256.Load(row + 24), pj, a3);
                    }

                    // The new token last, multiplied then added, as the runtime-shaped kernel does.
                    var pn = Vector256.Create(pNew);
                    (a0 + (Vector256.Load(nv + c) * pn)).Store(output + c);
                    (a1 + (Vector256.Load(nv + c + 8) * pn)).Store(output + c + 8);
                    (a2 + (Vector256.Load(nv + c + 16) * pn)).Store(output + c + 16);
                    (a3 + (Vector256.Load(nv + c + 24) * pn)).Store(output + c + 24);
                }
            }

            return;
        }

        WeightedSumColumns(v, p, n, d, 0, output);
        var o = new Span<float>(output, d);
        TensorPrimitives.MultiplyAdd(newValue, pNew, o, o);
    }
}
