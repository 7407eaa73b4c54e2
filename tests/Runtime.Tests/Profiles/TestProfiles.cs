using UNComp.Runtime.Calibration;
using UNComp.Runtime.Profiles;

namespace UNComp.Runtime.Tests.Profiles;

/// <summary>Small valid profiles built through the real planner from synthetic entropies.</summary>
internal static class TestProfiles
{
    public static ProfileModel Model(int layers = 6, int heads = 8, int kvHeads = 2) => new()
    {
        Architecture = "LlamaForCausalLM",
        NumLayers = layers,
        HiddenSize = 256,
        NumAttentionHeads = heads,
        NumKeyValueHeads = kvHeads,
        HeadDim = 32,
        VocabSize = 4096,
        MaxPositionEmbeddings = 2048,
        Fingerprint = "sha256:" + new string('a', 64),
    };

    public static ProfileCalibration Calibration() => new()
    {
        Samples = 3,
        Tokens = 512,
        Seed = 1234,
        Source = "synthetic \"quoted\" text",
        Matrix = EntropyMatrix.Query,
        PostRope = true,
        TruncationK = 8,
        Elbow = false,
        Tool = "uncomp 0.1.0",
        CreatedUtc = "2026-11-22T09:00:00Z",
    };

    /// <summary>Entropy of head h on sample s in layer l: a fixed pattern with a little noise; scores drop at layer 3.</summary>
    public static EntropyMeasurements Measurements(int layers = 6, int heads = 8, int samples = 3)
    {
        var m = new EntropyMeasurements(layers, heads);
        var rng = new Random(42);
        for (int s = 0; s < samples; s++)
        {
            var entropy = new double[layers][];
            var scores = new double[layers];
            for (int l = 0; l < layers; l++)
            {
                entropy[l] = Enumerable.Range(0, heads).Select(h => 0.3 + 0.05 * ((h * 5 + l) % heads) + 0.001 * rng.NextDouble()).ToArray();
                scores[l] = l < 3 ? 20 + l * 0.1 : 15 + l * 0.1;
            }

            m.AddSample(entropy, scores);
        }

        return m;
    }

    public static UncompProfile Build(PlanOptions? options = null, int layers = 6, int heads = 8, int kvHeads = 2)
    {
        options ??= new PlanOptions { MeanBudget = 128, MinKeepRatio = 0.375 };
        var summaries = Measurements(layers, heads).Summarize(options.GroupCount);
        return ProfilePlanner.Build("FixtureLlama", Model(layers, heads, kvHeads), Calibration(), summaries, options);
    }
}
