using UNComp.Runtime.Generation;
using UNComp.Runtime.Models;
using UNComp.Runtime.Tests.TestSupport;
using Xunit.Sdk;

namespace UNComp.Runtime.Tests.Generation;

/// <summary>The golden replay harness itself: a synthetic case built from the naive reference passes, a perturbed one fails.</summary>
public class GoldenHarnessTests
{
    private static readonly int[] Tokens = [1, 5, 9, 13, 7, 22];

    private static string WriteCase(TempDir dir, TinyModel tiny, float perturb)
    {
        using var model = tiny.Load();
        int vocab = model.Config.VocabSize;
        int[] positions = [2, 5];
        var rows = new float[positions.Length * vocab];
        for (int i = 0; i < positions.Length; i++)
        {
            ReferenceForward.LastLogits(model, Tokens.Take(positions[i] + 1).ToList()).CopyTo(rows, i * vocab);
        }

        rows[vocab + 3] += perturb;
        new SafetensorsWriter().Add("prompt0.logits", [positions.Length, vocab], rows).Save(dir.File("case.safetensors"));
        File.WriteAllText(dir.File("case.json"),
            $"{{\"model_dir\": \"{tiny.Directory}\", \"logits\": \"case.safetensors\", \"tolerance\": 1e-4, \"prompts\": [{{\"tokens\": [{string.Join(",", Tokens)}], \"positions\": [2, 5]}}]}}");
        return dir.File("case.json");
    }

    [Fact]
    public void Replay_ReferenceLogits_Pass()
    {
        using var tiny = new TinyModel(new TinyModelSpec { Architecture = "Qwen2ForCausalLM", Tied = true });
        using var dir = new TempDir();
        Assert.Equal(2, GoldenParityTests.Replay(dir.Path, WriteCase(dir, tiny, 0)));
    }

    [Fact]
    public void Replay_PerturbedLogits_Fail()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        using var dir = new TempDir();
        Assert.ThrowsAny<XunitException>(() => GoldenParityTests.Replay(dir.Path, WriteCase(dir, tiny, 0.01f)));
    }
}
