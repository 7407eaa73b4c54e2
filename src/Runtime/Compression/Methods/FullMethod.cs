namespace UNComp.Runtime.Compression.Methods;

/// <summary>The uncompressed cache: every unit holds prompt + new tokens; nothing is selected or evicted.</summary>
public sealed class FullMethod : CompressionMethod
{
    /// <inheritdoc />
    public override string Name => "full";

    /// <inheritdoc />
    public override string Summary => "full KV cache (capacity = prompt + new tokens), no selection";

    /// <inheritdoc />
    public override SelectionSpec? Selection(MethodRequest request) => null;

    /// <inheritdoc />
    public override KvBudgetPlan Budgets(MethodRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return KvBudgetPlanner.Uniform(request.Config, request.MaxCapacity, Cache.CacheGranularity.KvHead, request.MaxCapacity);
    }
}
