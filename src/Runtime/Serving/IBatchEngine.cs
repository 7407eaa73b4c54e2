namespace UNComp.Runtime.Serving;

/// <summary>
/// What <see cref="BatchScheduler"/> needs from an inference engine: a fixed number of sequence slots, a prefill
/// into one slot, one decode step over several active slots at once, and the release of a slot. Implemented by
/// <see cref="CudaBatchEngine"/> (batched decode on the GPU) and <see cref="CpuBatchEngine"/> (one
/// <see cref="Generation.Generator"/> per slot, decoded one after another). All calls come from the scheduler's one
/// thread; an engine need not be thread-safe.
/// </summary>
public interface IBatchEngine : IDisposable
{
    /// <summary>Sequence slots; at most this many requests generate at once.</summary>
    int Slots { get; }

    /// <summary>Logits per row.</summary>
    int VocabSize { get; }

    /// <summary>Longest sequence (prompt + generated tokens) one slot holds.</summary>
    int MaxSequenceLength { get; }

    /// <summary>
    /// Prefills <paramref name="prompt"/> into the free <paramref name="slot"/> (which will then generate up to
    /// <paramref name="maxNewTokens"/> tokens) and writes the next-token logits of its last position.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled; the slot is left free.</exception>
    void Prefill(int slot, ReadOnlySpan<int> prompt, int maxNewTokens, Span<float> logits, CancellationToken cancellationToken);

    /// <summary>
    /// One decode step: row i appends <paramref name="tokens"/>[i] to <paramref name="slots"/>[i] and writes that
    /// row's next-token logits to <paramref name="logits"/>[i × VocabSize ..].
    /// </summary>
    void Decode(ReadOnlySpan<int> slots, ReadOnlySpan<int> tokens, Span<float> logits);

    /// <summary>
    /// One decode step for rows that all decode greedily, choosing each row's next token on the engine (the lowest id
    /// among equal maxima, as <see cref="Generation.TokenSampler.ArgMax"/>) so only the ids come back. Returns false,
    /// having done nothing, when the engine has no such path (the scheduler then calls <see cref="Decode"/>).
    /// </summary>
    bool TryDecodeGreedy(ReadOnlySpan<int> slots, ReadOnlySpan<int> tokens, Span<int> chosen) => false;

    /// <summary>Frees <paramref name="slot"/> for another request.</summary>
    void Release(int slot);
}
