namespace UNComp.Runtime.Compute;

/// <summary>
/// The numeric operations the model code is written against. Buffers are row-major fp32. Model code
/// (<see cref="Generation.InferenceEngine"/>) never does arithmetic itself beyond bookkeeping, so another backend
/// (CUDA) implements this interface — together with its own buffer ownership — without touching the forward pass.
/// </summary>
public interface IComputeBackend
{
    /// <summary>Backend name for reports (<c>cpu</c>, <c>cuda</c>).</summary>
    string Name { get; }

    /// <summary>
    /// y[r, o] = Σ_i x[r, i] · w[o, i] (+ bias[o]) for r &lt; rows, o &lt; outDim: a linear layer with Hugging Face
    /// weight layout [out, in]. rows = 1 is a GEMV. <paramref name="bias"/> may be empty.
    /// </summary>
    void MatMul(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, int rows, int inDim, int outDim);

    /// <summary>y[r] = x[r] / sqrt(mean(x[r]²) + eps) ⊙ weight, per row of length <paramref name="width"/>.</summary>
    void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y, int rows, int width);

    /// <summary>
    /// Rotates, in place, <paramref name="x"/> = [positions.Length × heads × headDim] by the half-split (Hugging Face
    /// <c>rotate_half</c>) convention: pair (i, i + headDim/2) turns by angle position · invFreq[i], computed in fp32.
    /// </summary>
    void Rope(Span<float> x, ReadOnlySpan<int> positions, int heads, int headDim, ReadOnlySpan<float> invFreq);

    /// <summary>y = silu(gate) ⊙ up, elementwise.</summary>
    void SwiGlu(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> y);

    /// <summary>y = a + b, elementwise.</summary>
    void Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y);

    /// <summary>In-place numerically stable softmax.</summary>
    void Softmax(Span<float> x);

    /// <summary>Exact causal attention over a token sequence, with optional per-head statistics (see the args).</summary>
    void CausalAttention(in CausalAttentionArgs args);

    /// <summary>
    /// One decode query group against a cache unit: for each of <c>queryHeads</c> rows of <paramref name="q"/>
    /// ([queryHeads × headDim]), softmax over the <paramref name="length"/> cached keys plus <paramref name="newKey"/>;
    /// writes probabilities to <paramref name="probs"/> ([queryHeads × (length + 1)]) and the weighted sum of values
    /// (cached then new) to <paramref name="output"/> ([queryHeads × headDim]).
    /// </summary>
    void DecodeAttention(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, ReadOnlySpan<float> newKey,
        ReadOnlySpan<float> newValue, Span<float> probs, Span<float> output, int length, int queryHeads, int headDim, float scale);
}
