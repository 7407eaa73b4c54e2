namespace UNComp.Runtime.Generation;

/// <summary>Why a <see cref="Generator"/> reports <see cref="Generator.IsDone"/>.</summary>
public enum GenerationStopReason
{
    /// <summary>Not done yet.</summary>
    None,

    /// <summary>An end-of-sequence token was generated.</summary>
    EndOfSequence,

    /// <summary><see cref="GeneratorParams.MaxNewTokens"/> tokens were generated.</summary>
    MaxNewTokens,

    /// <summary>
    /// The sequence reached <see cref="Generator.MaxLength"/> (at most the model's <c>max_position_embeddings</c>):
    /// generation stops there instead of running past the positions the model was trained on.
    /// </summary>
    ContextLimit,
}
