namespace UNComp.Runtime.Compression;

/// <summary>
/// UNComp's KV eviction (method §3.1, §3.3): the per-head budgets live in the cache layout (higher-entropy groups
/// get more); each unit keeps its last w = 8 prompt tokens plus the top (B − w) earlier tokens by max-pooled
/// (kernel 7) window score. During decode the unit stays at its budget: the cached tokens are re-scored with the
/// last w queries, pooled, and the lowest outside the window is evicted. A unit whose prompt fits keeps every
/// token, so budgets ≥ the prompt length reproduce the full cache exactly. With <see cref="GrowTokens"/> &gt; 0
/// ("grow") each unit's layout capacity is its budget plus that headroom: prefill keeps the budget and decode
/// appends without eviction until the headroom is used up (then it evicts as above).
/// </summary>
/// <remarks>Create one instance per concurrent generation (decode reuses a scratch buffer).</remarks>
public sealed class UncompPolicy : IKvCachePolicy
{
    private float[] _scratch = [];

    /// <summary>Creates the policy.</summary>
    /// <param name="window">Observation window w (default 8).</param>
    /// <param name="kernel">Pooling kernel (default 7; the authors' needle runs use 5).</param>
    /// <param name="pooling">Pooling kind (default max).</param>
    /// <param name="growTokens">Decode headroom per unit ("grow"); 0 = fixed size (default).</param>
    public UncompPolicy(int window = 8, int kernel = 7, PoolingKind pooling = PoolingKind.Max, int growTokens = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(growTokens);
        GrowTokens = growTokens;
        ArgumentOutOfRangeException.ThrowIfLessThan(kernel, 1);
        Window = window;
        Kernel = kernel;
        Pooling = pooling;
    }

    /// <inheritdoc />
    public string Name => "uncomp";

    /// <summary>Observation window w.</summary>
    public int Window { get; }

    /// <summary>Pooling kernel.</summary>
    public int Kernel { get; }

    /// <summary>Pooling kind.</summary>
    public PoolingKind Pooling { get; }

    /// <summary>Decode headroom per unit included in the layout capacities (0 = fixed-size decode).</summary>
    public int GrowTokens { get; }

    /// <inheritdoc />
    public AttentionStatsRequest Request => new(Window);

    /// <inheritdoc />
    public int PrefillKeep(int layer, int unit, int capacity) => Math.Max(1, capacity - GrowTokens);

    /// <inheritdoc />
    public void SelectPrefill(in PrefillSelectionContext context, Span<int> keep) =>
        WindowScoreSelection.SelectPrefill(context.WindowScores, Window, Kernel, Pooling, keep);

    /// <inheritdoc />
    public int SelectDecodeEviction(in DecodeSelectionContext context) =>
        WindowScoreSelection.SelectDecodeEviction(context, Window, Kernel, Pooling, ref _scratch);
}
