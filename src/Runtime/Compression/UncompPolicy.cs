namespace UNComp.Runtime.Compression;

/// <summary>
/// UNComp's KV eviction (method §3.1, §3.3): the per-head budgets live in the cache layout (higher-entropy groups
/// get more); each unit keeps its last w = 8 prompt tokens plus the top (B − w) earlier tokens by max-pooled
/// (kernel 7) window score. During decode the unit stays at its budget: the cached tokens are re-scored with the
/// last w queries, pooled, and the lowest outside the window is evicted. A unit whose prompt fits keeps every
/// token, so budgets ≥ the prompt length reproduce the full cache exactly.
/// </summary>
/// <remarks>Create one instance per concurrent generation (decode reuses a scratch buffer).</remarks>
public sealed class UncompPolicy : IKvCachePolicy
{
    private float[] _scratch = [];

    /// <summary>Creates the policy.</summary>
    /// <param name="window">Observation window w (default 8).</param>
    /// <param name="kernel">Pooling kernel (default 7; the authors' needle runs use 5).</param>
    /// <param name="pooling">Pooling kind (default max).</param>
    public UncompPolicy(int window = 8, int kernel = 7, PoolingKind pooling = PoolingKind.Max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
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

    /// <inheritdoc />
    public AttentionStatsRequest Request => new(Window);

    /// <inheritdoc />
    public void SelectPrefill(in PrefillSelectionContext context, Span<int> keep) =>
        WindowScoreSelection.SelectPrefill(context.WindowScores, Window, Kernel, Pooling, keep);

    /// <inheritdoc />
    public int SelectDecodeEviction(in DecodeSelectionContext context) =>
        WindowScoreSelection.SelectDecodeEviction(context, Window, Kernel, Pooling, ref _scratch);
}
