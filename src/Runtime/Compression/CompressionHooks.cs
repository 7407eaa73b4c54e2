namespace UNComp.Runtime.Compression;

/// <summary>The compression plug-ins of one prefill/decode run. All optional; defaults = full cache.</summary>
public sealed class CompressionHooks
{
    /// <summary>No compression, no pruning, no observer.</summary>
    public static CompressionHooks None { get; } = new();

    /// <summary>KV-cache policy (default <see cref="FullCachePolicy"/>).</summary>
    public IKvCachePolicy Policy { get; init; } = FullCachePolicy.Instance;

    /// <summary>Hidden-state pruner, or null for none.</summary>
    public IHiddenStatePruner? Pruner { get; init; }

    /// <summary>Prefill observer, or null for none.</summary>
    public IPrefillObserver? Observer { get; init; }

    /// <summary>
    /// Whether these hooks may keep state between calls (anything beyond the stateless full-cache default), so one
    /// instance must not serve two generations at once; <see cref="Generation.Generator"/> refuses that.
    /// </summary>
    internal bool IsStateful => Policy is not FullCachePolicy || Pruner is not null || Observer is not null;

    /// <summary>Generator calls using these hooks right now (the concurrent-use guard).</summary>
    internal int ActiveCalls;
}
