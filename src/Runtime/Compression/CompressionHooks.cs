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
}
