using UNComp.Runtime.Compute;

namespace UNComp.Runtime.Tests.TestSupport;

/// <summary>
/// The CPU backend with a hook before every MatMul: tests use it to cancel, fail or block at an exact point inside
/// a forward pass (the hook gets the running count of MatMul calls).
/// </summary>
internal sealed class HookedBackend(Action<int> beforeMatMul) : IComputeBackend
{
    private static readonly CpuBackend Inner = new(1);
    private int _calls;

    public string Name => "hooked " + Inner.Name;

    public int Calls => Volatile.Read(ref _calls);

    public void MatMul(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, int rows, int inDim, int outDim)
    {
        beforeMatMul(Interlocked.Increment(ref _calls));
        Inner.MatMul(x, w, bias, y, rows, inDim, outDim);
    }

    public void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y, int rows, int width) => Inner.RmsNorm(x, weight, eps, y, rows, width);

    public void Rope(Span<float> x, ReadOnlySpan<int> positions, int heads, int headDim, ReadOnlySpan<float> invFreq) => Inner.Rope(x, positions, heads, headDim, invFreq);

    public void SwiGlu(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> y) => Inner.SwiGlu(gate, up, y);

    public void Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => Inner.Add(a, b, y);

    public void Softmax(Span<float> x) => Inner.Softmax(x);

    public void CausalAttention(in CausalAttentionArgs args) => Inner.CausalAttention(args);

    public void DecodeAttention(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, ReadOnlySpan<float> newKey,
        ReadOnlySpan<float> newValue, Span<float> probs, Span<float> output, int length, int queryHeads, int headDim, float scale) =>
        Inner.DecodeAttention(q, keys, values, newKey, newValue, probs, output, length, queryHeads, headDim, scale);
}
