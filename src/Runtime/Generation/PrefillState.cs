using UNComp.Runtime.Cache;
using UNComp.Runtime.Compression;

namespace UNComp.Runtime.Generation;

/// <summary>
/// A prefill in progress: created by <see cref="InferenceEngine.BeginPrefill"/>, advanced one layer at a time by
/// <see cref="InferenceEngine.RunPrefillLayer"/> (generated code unrolls this loop), closed by
/// <see cref="InferenceEngine.FinishPrefill"/>. The activations live in the engine's buffers.
/// </summary>
public sealed class PrefillState
{
    internal PrefillState(InferenceEngine engine, KvCache cache, CompressionHooks hooks, int promptLength)
    {
        Engine = engine;
        Cache = cache;
        Hooks = hooks;
        PromptLength = promptLength;
        Tokens = promptLength;
    }

    internal InferenceEngine Engine { get; }

    /// <summary>The cache being filled.</summary>
    public KvCache Cache { get; }

    /// <summary>The compression hooks of this run.</summary>
    public CompressionHooks Hooks { get; }

    /// <summary>Tokens in the prompt.</summary>
    public int PromptLength { get; }

    /// <summary>Tokens still in the residual stream (fewer than the prompt after hidden-state pruning).</summary>
    public int Tokens { get; internal set; }

    /// <summary>The next layer <see cref="InferenceEngine.RunPrefillLayer"/> expects.</summary>
    public int NextLayer { get; internal set; }

    /// <summary>Whether <see cref="InferenceEngine.FinishPrefill"/> has run.</summary>
    public bool IsFinished { get; internal set; }

    /// <summary>Whether the pruner scores of the last layer are ready for the next layer's pruning.</summary>
    internal bool HasPruneScores { get; set; }
}
