namespace UNComp.Runtime.Compression.Methods;

/// <summary>
/// SnapKV (Li et al. 2024): the last 32 prompt queries' attention, max-pooled with kernel 7, picks the tokens
/// besides the 32-token window; decode re-selects so every unit stays at its uniform budget.
/// </summary>
public sealed class SnapKvMethod : CompressionMethod
{
    /// <summary>SnapKV's selection (also PyramidKV's).</summary>
    public static SelectionSpec Spec { get; } = new(ScoreSource.ObservationWindow, Window: 32, Kernel: 7, PoolingKind.Max, Sinks: 0, Recent: 32, DecodeMode.Fixed);

    /// <inheritdoc />
    public override string Name => "snapkv";

    /// <inheritdoc />
    public override string Summary => "SnapKV: window 32, max-pool 7, uniform budget";

    /// <inheritdoc />
    public override SelectionSpec? Selection(MethodRequest request) => Spec;
}
