namespace UNComp.Runtime.Calibration;

/// <summary>The entropy figures of one head on one prompt.</summary>
/// <param name="TruncatedEntropy">H_k = −Σ_{i≤k} λ_i ln λ_i (natural log, no renormalisation).</param>
/// <param name="NormalizedEntropy">Ĥ = H_k / ln d.</param>
/// <param name="FullNormalizedEntropy">Ĥ with k = d (untruncated); the layer score uses it.</param>
/// <param name="K">The k that produced <paramref name="TruncatedEntropy"/> (fixed or elbow).</param>
public readonly record struct HeadEntropy(double TruncatedEntropy, double NormalizedEntropy, double FullNormalizedEntropy, int K)
{
    /// <summary>Effective rank exp(H_k).</summary>
    public double EffectiveRank => Math.Exp(TruncatedEntropy);
}
