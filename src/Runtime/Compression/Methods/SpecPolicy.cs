namespace UNComp.Runtime.Compression.Methods;

/// <summary>
/// The CPU engine's executor of a <see cref="SelectionSpec"/>: an <see cref="IKvCachePolicy"/> whose prefill and
/// decode choices are <see cref="SpecSelection"/>'s, so every method defined by a spec runs through this one class.
/// </summary>
/// <remarks>Create one instance per concurrent generation (decode reuses a scratch buffer).</remarks>
public sealed class SpecPolicy : IKvCachePolicy
{
    private float[] _scratch = [];

    /// <summary>Creates the executor.</summary>
    /// <param name="name">Method name for reports and errors.</param>
    /// <param name="spec">The selection (validated here).</param>
    /// <param name="growTokens">
    /// Decode headroom per unit already included in the layout's capacities (<see cref="DecodeMode.Grow"/>); 0 for
    /// <see cref="DecodeMode.Fixed"/>.
    /// </param>
    /// <exception cref="ArgumentException">The spec is invalid, or headroom is given to a fixed-mode spec.</exception>
    public SpecPolicy(string name, SelectionSpec spec, int growTokens = 0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfNegative(growTokens);
        spec.Validate();
        if (growTokens > 0 && spec.Decode != DecodeMode.Grow)
        {
            throw new ArgumentException($"method '{name}': {growTokens} grow tokens need DecodeMode.Grow; the spec is {spec.Decode}.", nameof(growTokens));
        }

        Name = name;
        Spec = spec;
        GrowTokens = growTokens;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The selection this policy executes.</summary>
    public SelectionSpec Spec { get; }

    /// <summary>Decode headroom per unit included in the layout capacities.</summary>
    public int GrowTokens { get; }

    /// <inheritdoc />
    public AttentionStatsRequest Request => Spec.Request;

    /// <inheritdoc />
    public int PrefillKeep(int layer, int unit, int capacity) => Math.Max(1, capacity - GrowTokens);

    /// <inheritdoc />
    public void SelectPrefill(in PrefillSelectionContext context, Span<int> keep)
    {
        var spec = Spec;
        float[] computed = spec.Source is ScoreSource.KeyNorm or ScoreSource.None ? new float[context.Length] : [];
        SpecSelection.SelectPrefill(spec, SpecSelection.PrefillScores(spec, context, computed), keep);
    }

    /// <inheritdoc />
    public int SelectDecodeEviction(in DecodeSelectionContext context) => SpecSelection.SelectDecodeEviction(Spec, context, ref _scratch);
}
