namespace UNComp.Runtime.Compression;

/// <summary>
/// One layer's attention inputs during prefill, token-major: Q is [Tokens × NumHeads × HeadDim], K and V are
/// [Tokens × NumKvHeads × HeadDim]. Valid only during the <see cref="IPrefillObserver.OnLayer"/> call.
/// </summary>
public readonly ref struct LayerActivations
{
    /// <summary>Creates the view (the engine does this).</summary>
    public LayerActivations(int layer, int tokens, int numHeads, int numKvHeads, int headDim, ReadOnlySpan<int> positions,
        ReadOnlySpan<float> queries, ReadOnlySpan<float> queriesPreRope, ReadOnlySpan<float> keys, ReadOnlySpan<float> values)
    {
        Layer = layer;
        Tokens = tokens;
        NumHeads = numHeads;
        NumKvHeads = numKvHeads;
        HeadDim = headDim;
        Positions = positions;
        Queries = queries;
        QueriesPreRope = queriesPreRope;
        Keys = keys;
        Values = values;
    }

    /// <summary>Decoder layer.</summary>
    public int Layer { get; }

    /// <summary>Tokens this layer processed.</summary>
    public int Tokens { get; }

    /// <summary>Query heads.</summary>
    public int NumHeads { get; }

    /// <summary>KV heads.</summary>
    public int NumKvHeads { get; }

    /// <summary>Elements per head vector.</summary>
    public int HeadDim { get; }

    /// <summary>Absolute positions of the tokens.</summary>
    public ReadOnlySpan<int> Positions { get; }

    /// <summary>Post-RoPE queries.</summary>
    public ReadOnlySpan<float> Queries { get; }

    /// <summary>Pre-RoPE queries (empty unless <see cref="IPrefillObserver.WantsPreRope"/>).</summary>
    public ReadOnlySpan<float> QueriesPreRope { get; }

    /// <summary>Post-RoPE keys.</summary>
    public ReadOnlySpan<float> Keys { get; }

    /// <summary>Values.</summary>
    public ReadOnlySpan<float> Values { get; }

    /// <summary>Query vector of token <paramref name="token"/>, head <paramref name="head"/>.</summary>
    public ReadOnlySpan<float> Query(int token, int head) => Queries.Slice(((token * NumHeads) + head) * HeadDim, HeadDim);
}
