namespace UNComp.Runtime.Compute;

/// <summary>
/// Inputs and outputs of <see cref="IComputeBackend.CausalAttention"/>. Query token i attends to tokens 0..i (the
/// sequence is in original order, possibly pruned). Statistic buffers are [heads × tokens]; a window of 0 or an
/// empty buffer skips that statistic.
/// </summary>
public readonly ref struct CausalAttentionArgs
{
    /// <summary>Queries [tokens × heads × headDim].</summary>
    public required ReadOnlySpan<float> Q { get; init; }

    /// <summary>Keys [tokens × kvHeads × headDim].</summary>
    public required ReadOnlySpan<float> K { get; init; }

    /// <summary>Values [tokens × kvHeads × headDim].</summary>
    public required ReadOnlySpan<float> V { get; init; }

    /// <summary>Output [tokens × heads × headDim].</summary>
    public required Span<float> Output { get; init; }

    /// <summary>Scratch of at least heads × tokens floats.</summary>
    public required Span<float> Scratch { get; init; }

    /// <summary>Tokens.</summary>
    public required int Tokens { get; init; }

    /// <summary>Query heads.</summary>
    public required int Heads { get; init; }

    /// <summary>KV heads (Heads is a multiple).</summary>
    public required int KvHeads { get; init; }

    /// <summary>Elements per head.</summary>
    public required int HeadDim { get; init; }

    /// <summary>Score scale (1/√headDim).</summary>
    public required float Scale { get; init; }

    /// <summary>First window: the last <see cref="WindowA"/> query rows' probabilities are summed into <see cref="WindowSumsA"/>.</summary>
    public int WindowA { get; init; }

    /// <summary>[heads × tokens] sums for <see cref="WindowA"/>.</summary>
    public Span<float> WindowSumsA { get; init; }

    /// <summary>Second window (e.g. the hidden-state pruner's).</summary>
    public int WindowB { get; init; }

    /// <summary>[heads × tokens] sums for <see cref="WindowB"/>.</summary>
    public Span<float> WindowSumsB { get; init; }

    /// <summary>[heads × tokens] sums over every query row; empty to skip.</summary>
    public Span<float> ColumnSums { get; init; }
}
