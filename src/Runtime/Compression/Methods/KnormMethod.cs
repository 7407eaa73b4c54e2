namespace UNComp.Runtime.Compression.Methods;

/// <summary>
/// Key norm (kvpress's KnormPress, Devoto et al. 2024): keys with the lowest L2 norm draw the most attention, so the
/// lowest-norm keys are kept; no attention statistics, no reserved tokens.
/// </summary>
public sealed class KnormMethod : CompressionMethod
{
    /// <summary>−‖k‖₂ ranks the tokens.</summary>
    public static SelectionSpec Spec { get; } = new(ScoreSource.KeyNorm, Window: 0, Kernel: 1, PoolingKind.None, Sinks: 0, Recent: 0, DecodeMode.Fixed);

    /// <inheritdoc />
    public override string Name => "knorm";

    /// <inheritdoc />
    public override string Summary => "Knorm: keep the lowest-norm keys, uniform budget";

    /// <inheritdoc />
    public override SelectionSpec? Selection(MethodRequest request) => Spec;
}
