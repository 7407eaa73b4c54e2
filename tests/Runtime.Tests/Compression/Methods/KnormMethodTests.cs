using System.Numerics.Tensors;
using UNComp.Runtime.Compression;
using UNComp.Runtime.Compression.Methods;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Tests.TestSupport;

namespace UNComp.Runtime.Tests.Compression.Methods;

/// <summary>The method added as one definition file: key-norm selection inside the real engine.</summary>
public sealed class KnormMethodTests : IDisposable
{
    private const int PromptLength = 40;
    private readonly TinyModel _tiny = new(new TinyModelSpec { Layers = 2, Heads = 4, KvHeads = 2, HeadDim = 8, Hidden = 32, Seed = 5 });

    public void Dispose() => _tiny.Dispose();

    [Fact]
    public void Prefill_KeepsTheLowestNormKeys_DecodeEvictsTheHighestNorm()
    {
        using var model = _tiny.Load();
        var plan = CompressionMethods.Get("knorm").Plan(new MethodRequest(model.Config, 10, PromptLength, PromptLength + 2));
        var setup = plan.CreateCpuSetup();
        var keys = new KeyRecorder();
        var hooks = new CompressionHooks { Policy = setup.Hooks.Policy, Observer = keys };
        var engine = new InferenceEngine(model, PromptLength + 2);
        using var cache = setup.CreateCache();
        var logits = new float[model.Config.VocabSize];
        var rng = new Random(2);
        var prompt = Enumerable.Range(0, PromptLength).Select(_ => rng.Next(model.Config.VocabSize)).ToArray();
        engine.Prefill(prompt, cache, hooks, logits);

        int d = model.Config.HeadDim, kvHeads = model.Config.NumKeyValueHeads;
        for (int layer = 0; layer < model.Config.NumLayers; layer++)
        {
            for (int unit = 0; unit < kvHeads; unit++)
            {
                int capacity = plan.Budgets.Capacity(layer, unit);
                var norms = Enumerable.Range(0, PromptLength)
                    .Select(t => TensorPrimitives.Norm(keys.Keys[layer].AsSpan(((t * kvHeads) + unit) * d, d)))
                    .ToArray();
                var expected = Enumerable.Range(0, PromptLength).OrderBy(t => norms[t]).ThenBy(t => t).Take(capacity).Order();
                Assert.Equal(expected, cache.Positions(layer, unit).ToArray());
            }
        }

        // Decode: each full unit drops its highest-norm cached key and appends the new token.
        var before = new List<(int[] Positions, int Evicted)>();
        for (int layer = 0; layer < model.Config.NumLayers; layer++)
        {
            for (int unit = 0; unit < kvHeads; unit++)
            {
                var cached = cache.Keys(layer, unit).ToArray();
                int n = cache.Length(layer, unit);
                int evicted = Enumerable.Range(0, n).OrderByDescending(j => TensorPrimitives.Norm(cached.AsSpan(j * d, d))).ThenBy(j => j).First();
                before.Add((cache.Positions(layer, unit).ToArray(), evicted));
            }
        }

        engine.Decode(prompt[0], cache, hooks, logits);
        for (int layer = 0, i = 0; layer < model.Config.NumLayers; layer++)
        {
            for (int unit = 0; unit < kvHeads; unit++, i++)
            {
                var (positions, evicted) = before[i];
                Assert.Equal(positions.Where((_, j) => j != evicted).Append(PromptLength), cache.Positions(layer, unit).ToArray());
            }
        }
    }

    private sealed class KeyRecorder : IPrefillObserver
    {
        public List<float[]> Keys { get; } = [];

        public bool WantsPreRope => false;

        public void OnLayer(in LayerActivations activations) => Keys.Add(activations.Keys.ToArray());
    }
}
