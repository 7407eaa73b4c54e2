namespace UNComp.Runtime.Generation;

/// <summary>
/// A model's attention shape as compile-time constants: implemented by a struct that a compiled profile emits, so
/// that <see cref="InferenceEngine.Decode{TShape}"/> instantiated over it lets the JIT/AOT compiler fold head
/// counts and head dimension into the decode loops. A member that returns 0 means "not fixed, read the config".
/// </summary>
public interface IModelShape
{
    /// <summary>Query heads per layer, or 0.</summary>
    static abstract int NumAttentionHeads { get; }

    /// <summary>Key/value heads per layer, or 0.</summary>
    static abstract int NumKeyValueHeads { get; }

    /// <summary>Head dimension d, or 0.</summary>
    static abstract int HeadDim { get; }

    /// <summary>Cache units per layer, or 0.</summary>
    static abstract int UnitsPerLayer { get; }

    /// <summary>Query heads that share one cache unit, or 0.</summary>
    static abstract int QueryHeadsPerUnit { get; }
}

/// <summary>The shape of an engine whose dimensions are only known at run time (every member 0).</summary>
public readonly struct RuntimeShape : IModelShape
{
    /// <inheritdoc />
    public static int NumAttentionHeads => 0;

    /// <inheritdoc />
    public static int NumKeyValueHeads => 0;

    /// <inheritdoc />
    public static int HeadDim => 0;

    /// <inheritdoc />
    public static int UnitsPerLayer => 0;

    /// <inheritdoc />
    public static int QueryHeadsPerUnit => 0;
}
