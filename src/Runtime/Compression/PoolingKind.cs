namespace UNComp.Runtime.Compression;

/// <summary>How window scores are smoothed before top-k selection.</summary>
public enum PoolingKind
{
    /// <summary>1-D max pooling (UNComp's and SnapKV's default).</summary>
    Max,

    /// <summary>1-D average pooling; zero padding counts toward the divisor, as PyTorch's <c>avg_pool1d</c> does by default.</summary>
    Average,

    /// <summary>No smoothing (kernel ignored).</summary>
    None,
}
