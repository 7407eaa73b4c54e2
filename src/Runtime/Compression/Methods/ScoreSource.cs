namespace UNComp.Runtime.Compression.Methods;

/// <summary>
/// What ranks a cache unit's tokens in a <see cref="SelectionSpec"/>. Higher scores are kept; the lowest is evicted.
/// Exact definitions (which queries, which keys, summation order): docs/compression.md, "Method definitions".
/// </summary>
public enum ScoreSource
{
    /// <summary>
    /// No attention statistic: a token's score is its index in position order, so the newest tokens rank highest
    /// (StreamingLLM's recency).
    /// </summary>
    None,

    /// <summary>
    /// Observation window (SnapKV, PyramidKV, UNComp): Σ over the last <see cref="SelectionSpec.Window"/> queries
    /// and over the unit's query heads of the softmax attention probability on the token. During decode the window
    /// is the most recent queries (the current one included), re-scored over the cached keys plus the new key.
    /// </summary>
    ObservationWindow,

    /// <summary>
    /// Accumulated attention (H2O): at prefill, Σ over every prompt query and the unit's query heads of the
    /// attention probability on the token; every decode step adds the current query's probabilities.
    /// </summary>
    AccumulatedAttention,

    /// <summary>Key norm (kvpress's KnormPress): −‖k‖₂ of the token's post-RoPE key, so low-norm keys are kept.</summary>
    KeyNorm,
}
