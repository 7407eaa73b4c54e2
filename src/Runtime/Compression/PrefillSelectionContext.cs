namespace UNComp.Runtime.Compression;

/// <summary>
/// What a policy sees when one cache unit's prompt tokens exceed its capacity. Token indices are positions in the
/// (possibly hidden-state-pruned) token sequence of this layer, 0..Length-1, in original order.
/// </summary>
public readonly ref struct PrefillSelectionContext
{
    /// <summary>Creates a context (the engine does this; tests may too).</summary>
    public PrefillSelectionContext(int layer, int unit, int capacity, int queryHeadsPerUnit, int observationWindow,
        ReadOnlySpan<int> positions, ReadOnlySpan<float> windowScores, ReadOnlySpan<float> columnSums)
    {
        Layer = layer;
        Unit = unit;
        Capacity = capacity;
        QueryHeadsPerUnit = queryHeadsPerUnit;
        ObservationWindow = observationWindow;
        Positions = positions;
        WindowScores = windowScores;
        ColumnSums = columnSums;
    }

    /// <summary>Decoder layer.</summary>
    public int Layer { get; }

    /// <summary>Cache unit within the layer (KV head or query head, by the layout's granularity).</summary>
    public int Unit { get; }

    /// <summary>Tokens this layer processed (the candidates).</summary>
    public int Length => Positions.Length;

    /// <summary>Tokens to keep: exactly this many indices must be written.</summary>
    public int Capacity { get; }

    /// <summary>Query heads whose attention was summed into the scores.</summary>
    public int QueryHeadsPerUnit { get; }

    /// <summary>The window w the scores were computed with (min(w, Length) rows actually exist).</summary>
    public int ObservationWindow { get; }

    /// <summary>Absolute RoPE position of each candidate token (strictly increasing).</summary>
    public ReadOnlySpan<int> Positions { get; }

    /// <summary>
    /// Per token j: Σ over the last w queries i and over the unit's query heads of softmax attention p[i, j]
    /// (causal; exact fp32). Length = <see cref="Length"/>. Empty when the policy requested no window.
    /// </summary>
    public ReadOnlySpan<float> WindowScores { get; }

    /// <summary>Per token: Σ over every query and the unit's query heads of p[i, j]; empty unless requested.</summary>
    public ReadOnlySpan<float> ColumnSums { get; }
}
