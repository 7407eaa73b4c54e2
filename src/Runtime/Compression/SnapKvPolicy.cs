namespace UNComp.Runtime.Compression;

/// <summary>
/// SnapKV (Li et al. 2024): every unit keeps its last w = 32 prompt tokens plus the top (M − w) earlier tokens by
/// pooled window score (kernel 7, max or average pooling). The budget M comes from the layout (one value for all
/// units: <see cref="KvBudgetPlanner.Uniform"/>). Decode keeps the unit at M with the same re-scoring as UNComp
/// (the authors' variant re-selects during decode too), so every method runs at the same memory.
/// </summary>
/// <remarks>Create one instance per concurrent generation (decode reuses a scratch buffer).</remarks>
public sealed class SnapKvPolicy : IKvCachePolicy
{
    private float[] _scratch = [];

    /// <summary>Creates the policy.</summary>
    /// <param name="window">Observation window (default 32).</param>
    /// <param name="kernel">Pooling kernel (default 7).</param>
    /// <param name="pooling">Pooling kind (default max).</param>
    /// <param name="name">Report name (PyramidKV reuses this selection under its own name).</param>
    public SnapKvPolicy(int window = 32, int kernel = 7, PoolingKind pooling = PoolingKind.Max, string name = "snapkv")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(kernel, 1);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Window = window;
        Kernel = kernel;
        Pooling = pooling;
        Name = name;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Observation window.</summary>
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
