namespace UNComp.Runtime.Compression.Methods;

/// <summary>
/// H2O (Zhang et al. 2023): heavy hitters by accumulated attention (column sums over every query, updated every
/// decode step) and the most recent tokens, half and half (at least one recent).
/// </summary>
public sealed class H2OMethod : CompressionMethod
{
    /// <summary>Accumulated attention, half of each unit reserved for recent tokens.</summary>
    public static SelectionSpec Spec { get; } = new(ScoreSource.AccumulatedAttention, Window: 0, Kernel: 1, PoolingKind.None, Sinks: 0, Recent: 1, DecodeMode.Fixed, RecentFraction: 0.5);

    /// <inheritdoc />
    public override string Name => "h2o";

    /// <inheritdoc />
    public override string Summary => "H2O: accumulated attention + recent half, uniform budget";

    /// <inheritdoc />
    public override SelectionSpec? Selection(MethodRequest request) => Spec;
}
