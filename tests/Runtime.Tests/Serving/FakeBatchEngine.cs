using UNComp.Runtime.Serving;

namespace UNComp.Runtime.Tests.Serving;

/// <summary>
/// A deterministic <see cref="IBatchEngine"/>: the logits of a slot are one-hot (or, with <see cref="Peaked"/> false,
/// a smooth distribution) at a token that depends only on the slot's own sequence, so a request gets the same tokens
/// whatever runs beside it. Records every call; <see cref="StepGate"/> holds each decode step until the test releases it.
/// </summary>
internal sealed class FakeBatchEngine(int slots, int vocab = 64, int maxSequenceLength = 4096) : IBatchEngine
{
    private readonly List<int>?[] _sequences = new List<int>?[slots];
    private readonly Lock _log = new();
    private readonly List<string> _calls = [];

    public int Slots => slots;

    public int VocabSize => vocab;

    public int MaxSequenceLength => maxSequenceLength;

    /// <summary>When set, each decode step waits for one release of this semaphore.</summary>
    public SemaphoreSlim? StepGate { get; init; }

    /// <summary>One-hot logits (greedy and sampling pick the same token) or a spread for sampling tests.</summary>
    public bool Peaked { get; init; } = true;

    /// <summary>A decode step whose batch holds this slot throws.</summary>
    public int? FailDecodeOnSlot { get; set; }

    /// <summary>Whether <see cref="TryDecodeGreedy"/> answers (as the CUDA engine does) or declines.</summary>
    public bool GreedyOnEngine { get; init; }

    public int Released { get; private set; }

    public bool Disposed { get; private set; }

    /// <summary>"prefill s P" / "decode s1,s2" / "release s", in call order.</summary>
    public IReadOnlyList<string> Calls
    {
        get
        {
            lock (_log)
            {
                return [.. _calls];
            }
        }
    }

    /// <summary>The token this engine makes follow <paramref name="sequence"/>.</summary>
    public static int NextToken(IReadOnlyList<int> sequence, int vocab)
    {
        long h = 17;
        foreach (int t in sequence)
        {
            h = (h * 31) + t + 1;
        }

        return (int)(Math.Abs(h) % (vocab - 1)) + 1; // never 0: tests use 0 as their eos id
    }

    public void Prefill(int slot, ReadOnlySpan<int> prompt, int maxNewTokens, Span<float> logits, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Log($"prefill {slot} {prompt[0]}");
        _sequences[slot] = [.. prompt];
        Fill(_sequences[slot]!, logits);
    }

    public void Decode(ReadOnlySpan<int> slotsOfStep, ReadOnlySpan<int> tokens, Span<float> logits)
    {
        StepGate?.Wait(TimeSpan.FromSeconds(30));
        Log("decode " + string.Join(',', slotsOfStep.ToArray()));
        for (int i = 0; i < slotsOfStep.Length; i++)
        {
            if (slotsOfStep[i] == FailDecodeOnSlot)
            {
                throw new InvalidOperationException("the fake engine failed a decode step");
            }
        }

        for (int i = 0; i < slotsOfStep.Length; i++)
        {
            var sequence = _sequences[slotsOfStep[i]] ?? throw new InvalidOperationException($"slot {slotsOfStep[i]} is empty");
            sequence.Add(tokens[i]);
            Fill(sequence, logits.Slice(i * vocab, vocab));
        }
    }

    public bool TryDecodeGreedy(ReadOnlySpan<int> slotsOfStep, ReadOnlySpan<int> tokens, Span<int> chosen)
    {
        if (!GreedyOnEngine)
        {
            return false;
        }

        StepGate?.Wait(TimeSpan.FromSeconds(30));
        Log("greedy " + string.Join(',', slotsOfStep.ToArray()));
        for (int i = 0; i < slotsOfStep.Length; i++)
        {
            var sequence = _sequences[slotsOfStep[i]]!;
            sequence.Add(tokens[i]);
            chosen[i] = NextToken(sequence, vocab);
        }

        return true;
    }

    public void Release(int slot)
    {
        Log($"release {slot}");
        _sequences[slot] = null;
        Released++;
    }

    public void Dispose() => Disposed = true;

    private void Fill(List<int> sequence, Span<float> logits)
    {
        int next = NextToken(sequence, vocab);
        for (int v = 0; v < logits.Length; v++)
        {
            logits[v] = Peaked ? (v == next ? 10f : 0f) : (v == next ? 2f : 1f + (v % 3 * 0.3f));
        }
    }

    private void Log(string call)
    {
        lock (_log)
        {
            _calls.Add(call);
        }
    }
}
