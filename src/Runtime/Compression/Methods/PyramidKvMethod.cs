namespace UNComp.Runtime.Compression.Methods;

/// <summary>PyramidKV (Cai et al. 2024): SnapKV's selection inside per-layer budgets falling linearly with depth (β = 20).</summary>
public sealed class PyramidKvMethod : CompressionMethod
{
    /// <summary>β: the last layer gets M/β, layer 0 gets 2M − M/β.</summary>
    public const double Beta = 20;

    /// <inheritdoc />
    public override string Name => "pyramidkv";

    /// <inheritdoc />
    public override string Summary => "PyramidKV: SnapKV selection, per-layer budgets linear in depth (β = 20)";

    /// <inheritdoc />
    public override SelectionSpec? Selection(MethodRequest request) => SnapKvMethod.Spec;

    /// <inheritdoc />
    public override KvBudgetPlan Budgets(MethodRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return KvBudgetPlanner.Pyramid(request.Config, request.Mean, Beta, Cache.CacheGranularity.KvHead, request.MaxCapacity);
    }
}
