namespace UNComp.Runtime.Compression;

/// <summary>
/// What a policy sees when one cache unit's prompt tokens exceed its capacity. Token indices are positions in the
/// (possibly hidden-state-pruned) token sequence of this layer, 0..Length-1, in original order.
/// </summary>
public readonly ref struct PrefillSelectionContext
{
    private readonly ReadOnlySpan<float> _layerKeys;
    private readonly int _kvHead, _kvHeads, _headDim;

    /// <summary>Creates a context (the engine does this; tests may too).</summary>
    public PrefillSelectionContext(int layer, int unit, int capacity, int queryHeadsPerUnit, int observationWindow,
        ReadOnlySpan<int> positions, ReadOnlySpan<float> windowScores, ReadOnlySpan<float> columnSums)
        : this(layer, unit, capacity, queryHeadsPerUnit, observationWindow, positions, windowScores, columnSums, default, 0, 0, 0)
    {
    }

    /// <summary>
    /// Creates a context that also exposes the layer's post-RoPE keys for key-based scores: <c>layerKeys</c> holds every
    /// candidate's keys token-major ([Length × kvHeads × headDim]); this unit caches KV head <c>kvHead</c>.
    /// </summary>
    public PrefillSelectionContext(int layer, int unit, int capacity, int queryHeadsPerUnit, int observationWindow,
        ReadOnlySpan<int> positions, ReadOnlySpan<float> windowScores, ReadOnlySpan<float> columnSums,
        ReadOnlySpan<float> layerKeys, int kvHead, int kvHeads, int headDim)
    {
        Layer = layer;
        Unit = unit;
        Capacity = capacity;
        QueryHeadsPerUnit = queryHeadsPerUnit;
        ObservationWindow = observationWindow;
        Positions = positions;
        WindowScores = windowScores;
        ColumnSums = columnSums;
        _layerKeys = layerKeys;
        _kvHead = kvHead;
        _kvHeads = kvHeads;
        _headDim = headDim;
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

    /// <summary>Whether <see cref="Key"/> is available (the engine passes the layer's keys).</summary>
    public bool HasKeys => _headDim > 0 && _layerKeys.Length >= Length * _kvHeads * _headDim;

    /// <summary>The post-RoPE key of candidate <paramref name="token"/> in this unit's KV head.</summary>
    public ReadOnlySpan<float> Key(int token) => _layerKeys.Slice(((token * _kvHeads) + _kvHead) * _headDim, _headDim);
}
