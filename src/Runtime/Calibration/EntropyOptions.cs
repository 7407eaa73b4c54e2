namespace UNComp.Runtime.Calibration;

/// <summary>
/// Settings of the truncated matrix entropy (uncomp-method.md §1).
/// </summary>
/// <param name="TruncationK">Top-k eigenvalues kept in H_k; the cap when <paramref name="Elbow"/> is set.</param>
/// <param name="Elbow">When true, k is chosen per head by the elbow rule (<see cref="MatrixEntropy.ElbowCount"/>), capped by <paramref name="TruncationK"/>.</param>
public sealed record EntropyOptions(int TruncationK = EntropyOptions.DefaultTruncationK, bool Elbow = false)
{
    /// <summary>The default k for head_dim 128 (the authors' fixed choice).</summary>
    public const int DefaultTruncationK = 32;

    /// <summary>The k actually used for a head dimension: <see cref="TruncationK"/> clamped to [1, d].</summary>
    public int EffectiveK(int headDim) => Math.Clamp(TruncationK, 1, headDim);
}
