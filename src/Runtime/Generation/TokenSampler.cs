using System.Numerics.Tensors;

namespace UNComp.Runtime.Generation;

/// <summary>Picks tokens from logits per <see cref="SamplingOptions"/>; buffers are allocated once per vocabulary size.</summary>
public sealed class TokenSampler
{
    private readonly SamplingOptions _options;
    private readonly Random _random;
    private readonly float[] _probs;
    private readonly int[] _order;

    /// <summary>Creates a sampler for a vocabulary.</summary>
    public TokenSampler(SamplingOptions options, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
#pragma warning disable CA5394 // Sampling needs a reproducible seeded generator, not a cryptographic one.
        _random = new Random(options.Seed);
#pragma warning restore CA5394
        _probs = new float[vocabSize];
        _order = new int[vocabSize];
    }

    /// <summary>Index of the largest logit (lowest index on ties).</summary>
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>Chooses the next token.</summary>
    public int Sample(ReadOnlySpan<float> logits)
    {
        if (_options.IsGreedy)
        {
            return ArgMax(logits);
        }

        int n = logits.Length;
        var probs = _probs.AsSpan(0, n);
        TensorPrimitives.Divide(logits, (float)_options.Temperature, probs);
        TensorPrimitives.SoftMax(probs, probs);
        var order = _order.AsSpan(0, n);
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
        }

        // Descending probability, ascending id on ties: deterministic for a given seed.
        float[] p = _probs;
        order.Sort((a, b) => p[a] != p[b] ? p[b].CompareTo(p[a]) : a.CompareTo(b));
        int keep = _options.TopK > 0 ? Math.Min(_options.TopK, n) : n;
        double cumulative = 0;
        int cut = keep;
        for (int i = 0; i < keep; i++)
        {
            cumulative += p[order[i]];
            if (cumulative >= _options.TopP)
            {
                cut = i + 1;
                break;
            }
        }

        double total = 0;
        for (int i = 0; i < cut; i++)
        {
            total += p[order[i]];
        }

#pragma warning disable CA5394 // See constructor.
        double r = _random.NextDouble() * total;
#pragma warning restore CA5394
        for (int i = 0; i < cut; i++)
        {
            r -= p[order[i]];
            if (r < 0)
            {
                return order[i];
            }
        }

        return order[cut - 1];
    }
}
