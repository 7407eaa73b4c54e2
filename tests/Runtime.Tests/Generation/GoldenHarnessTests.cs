using UNComp.Runtime.Models;
using UNComp.Runtime.Tests.TestSupport;
using Xunit.Sdk;

namespace UNComp.Runtime.Tests.Generation;

/// <summary>
/// The golden replay itself: a tiny-model golden directory in make_goldens.py's layout, built here from the naive
/// reference, passes; the same with one perturbed logit fails.
/// </summary>
public class GoldenHarnessTests
{
    private static readonly int[] Tokens = [1, 5, 9, 13, 7, 22];

    private static string WriteGolden(TinyModel tiny, float perturb)
    {
        using var model = tiny.Load();
        int vocab = model.Config.VocabSize;
        var rows = new float[Tokens.Length * vocab];
        for (int t = 0; t < Tokens.Length; t++)
        {
            ReferenceForward.LastLogits(model, Tokens.Take(t + 1).ToList()).CopyTo(rows, t * vocab);
        }

        rows[(3 * vocab) + 5] += perturb;
        var seq = Tokens.ToList();
        var greedy = new List<long>();
        for (int i = 0; i < 3; i++)
        {
            var l = ReferenceForward.LastLogits(model, seq);
            int next = Array.IndexOf(l, l.Max());
            greedy.Add(next);
            seq.Add(next);
        }

        new SafetensorsWriter()
            .AddInt64("prompt0.input_ids", [Tokens.Length], Tokens.Select(t => (long)t).ToArray())
            .Add("prompt0.logits", [Tokens.Length, vocab], rows)
            .AddInt64("prompt0.greedy_ids", [3], greedy.ToArray())
            .Save(Path.Combine(tiny.Directory, "golden.safetensors"));
        string json = Path.Combine(tiny.Directory, "golden.json");
        File.WriteAllText(json, "{\"prompts\": [{\"index\": 0, \"n_tokens\": 6}]}");
        return json;
    }

    [Fact]
    public void TinyModelGolden_FromReference_Passes()
    {
        using var tiny = new TinyModel(new TinyModelSpec { Architecture = "Qwen2ForCausalLM", Tied = true });
        Assert.Equal(2 * Tokens.Length - 1, GoldenParityTests.CheckTinyModel(WriteGolden(tiny, 0)));
    }

    [Fact]
    public void TinyModelGolden_PerturbedLogit_Fails()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        Assert.ThrowsAny<XunitException>(() => GoldenParityTests.CheckTinyModel(WriteGolden(tiny, 0.01f)));
    }
}
