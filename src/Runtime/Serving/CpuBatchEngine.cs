using UNComp.Runtime.Generation;
using UNComp.Runtime.Models;

namespace UNComp.Runtime.Serving;

/// <summary>
/// <see cref="IBatchEngine"/> on the CPU engine, which runs one sequence at a time: each slot holds its own
/// <see cref="Generator"/> (settings per request from <paramref name="paramsFor"/>, e.g. a profile's compression
/// planned for the prompt), and a decode step decodes the slots one after another. With one slot it behaves as a
/// plain generator; more slots interleave requests token by token (fair, not faster).
/// </summary>
/// <param name="model">The weights (borrowed).</param>
/// <param name="slots">Generators kept at once.</param>
/// <param name="maxSequenceLength">Longest prompt + generated sequence of a slot (at most the model's context).</param>
/// <param name="paramsFor">Generator settings for (prompt tokens, max new tokens); sampling is done by the scheduler.</param>
public sealed class CpuBatchEngine(LlamaModel model, int slots, int maxSequenceLength, Func<int, int, GeneratorParams> paramsFor) : IBatchEngine
{
    private readonly Generator?[] _generators = new Generator?[slots >= 1 ? slots : throw new ArgumentOutOfRangeException(nameof(slots), slots, "at least one slot.")];
    private readonly Compression.CompressionHooks?[] _hooks = new Compression.CompressionHooks?[slots];

    /// <inheritdoc />
    public int Slots => _generators.Length;

    /// <inheritdoc />
    public int VocabSize => model.Config.VocabSize;

    /// <inheritdoc />
    public int MaxSequenceLength { get; } = maxSequenceLength >= 2 && maxSequenceLength <= model.Config.MaxPositionEmbeddings
        ? maxSequenceLength
        : throw new ArgumentOutOfRangeException(nameof(maxSequenceLength), maxSequenceLength, $"must be in [2, {model.Config.MaxPositionEmbeddings}] (the model's context).");

    /// <inheritdoc />
    public void Prefill(int slot, ReadOnlySpan<int> prompt, int maxNewTokens, Span<float> logits, CancellationToken cancellationToken)
    {
        Release(slot);
        var p = paramsFor(prompt.Length, maxNewTokens);
        if (p.Hooks.IsStateful && Array.Exists(_hooks, h => ReferenceEquals(h, p.Hooks)))
        {
            // Compression policies keep per-sequence state between calls; interleaving two sequences through one instance would mix them.
            throw new InvalidOperationException($"the compression hooks ({p.Hooks.Policy.Name}) of this request are already in use by another slot; "
                + "with more than one CPU slot give each request its own hooks (ServedModel.ParamsForRequest, as a profile-served model does) or serve with one slot.");
        }

        var generator = new Generator(model, p with
        {
            MaxNewTokens = maxNewTokens,
            MaxLength = Math.Min(p.MaxLength ?? prompt.Length + maxNewTokens, MaxSequenceLength),
        });
        try
        {
            generator.AppendTokens(prompt, null, cancellationToken);
            generator.Logits.CopyTo(logits);
        }
        catch
        {
            generator.Dispose();
            throw;
        }

        _generators[slot] = generator;
        _hooks[slot] = p.Hooks;
    }

    /// <inheritdoc />
    public void Decode(ReadOnlySpan<int> slots, ReadOnlySpan<int> tokens, Span<float> logits)
    {
        int vocab = VocabSize;
        for (int i = 0; i < slots.Length; i++)
        {
            var generator = _generators[slots[i]] ?? throw new InvalidOperationException($"slot {slots[i]} holds no sequence; prefill it first.");
            generator.AppendTokens([tokens[i]]);
            generator.Logits.CopyTo(logits.Slice(i * vocab, vocab));
        }
    }

    /// <inheritdoc />
    public void Release(int slot)
    {
        _generators[slot]?.Dispose();
        _generators[slot] = null;
        _hooks[slot] = null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        for (int slot = 0; slot < _generators.Length; slot++)
        {
            Release(slot);
        }
    }
}
