using UNComp.Runtime.Serving;

namespace UNComp.Serving.Tests;

/// <summary>An engine that "generates" a fixed reply (then the eos id) in every slot: the server's tool-call path with a known model output.</summary>
internal sealed class ScriptedEngine(IReadOnlyList<int> reply, int eos, int vocab, int maxSequenceLength = 2048) : IBatchEngine
{
    private readonly int[] _position = new int[1];

    public int Slots => 1;

    public int VocabSize => vocab;

    public int MaxSequenceLength => maxSequenceLength;

    public void Prefill(int slot, ReadOnlySpan<int> prompt, int maxNewTokens, Span<float> logits, CancellationToken cancellationToken)
    {
        _position[slot] = 0;
        OneHot(0, logits);
    }

    public void Decode(ReadOnlySpan<int> slots, ReadOnlySpan<int> tokens, Span<float> logits)
    {
        for (int i = 0; i < slots.Length; i++)
        {
            OneHot(++_position[slots[i]], logits.Slice(i * vocab, vocab));
        }
    }

    public void Release(int slot) => _position[slot] = 0;

    public void Dispose()
    {
    }

    private void OneHot(int position, Span<float> logits)
    {
        logits.Clear();
        logits[position < reply.Count ? reply[position] : eos] = 1e4f; // certain under any temperature (OpenAI clients default to 1)
    }
}
