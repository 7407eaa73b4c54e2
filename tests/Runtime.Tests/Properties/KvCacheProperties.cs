using FsCheck.Xunit;
using UNComp.Runtime.Cache;
using UNComp.Runtime.Compression;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Models;
using UNComp.Runtime.Tests.TestSupport;

namespace UNComp.Runtime.Tests.Properties;

/// <summary>
/// FsCheck properties of the KV cache: under any sequence of appends, removals and compactions it matches a
/// plain list model; under any decode run with any policy every unit stays within its capacity, keeps positions
/// strictly increasing, always holds the newest token, and accounts its bytes exactly.
/// </summary>
public sealed class KvCacheProperties : IDisposable
{
    private readonly TinyModel _files = new(new TinyModelSpec { MaxPositionEmbeddings = 128 });
    private readonly LlamaModel _model;

    public KvCacheProperties() => _model = _files.Load();

    public void Dispose()
    {
        _model.Dispose();
        _files.Dispose();
    }

    [Property(MaxTest = 200)]
    public void Operations_AnySequence_MatchAListModel(int[] operations)
    {
        var config = _model.Config;
        var layout = KvCacheLayout.FromCapacities(config, [.. Enumerable.Range(0, config.NumLayers).Select(l => Enumerable.Range(0, config.NumKeyValueHeads).Select(u => 3 + l + u).ToArray())]);
        using var cache = new KvCache(layout, 0, trackAccumulatedScores: true);
        var model = new List<(int Position, float Key, float Score)>[layout.Layers * layout.UnitsPerLayer];
        for (int i = 0; i < model.Length; i++)
        {
            model[i] = [];
        }

        int position = 0;
        int d = layout.HeadDim;
        foreach (int op in operations ?? [])
        {
            int layer = (op & 0x7fffffff) % layout.Layers;
            int unit = ((op & 0x7fffffff) / 7) % layout.UnitsPerLayer;
            var list = model[(layer * layout.UnitsPerLayer) + unit];
            int kind = ((op & 0x7fffffff) / 31) % 3;
            if (kind == 0 || list.Count == 0)
            {
                if (list.Count == layout.Capacity(layer, unit))
                {
                    Assert.Throws<InvalidOperationException>(() => cache.Append(layer, unit, new float[d], new float[d], ++position));
                    continue;
                }

                float key = position + 0.5f;
                var k = Enumerable.Repeat(key, d).ToArray();
                cache.Append(layer, unit, k, k, ++position, key * 2);
                list.Add((position, key, key * 2));
            }
            else if (kind == 1)
            {
                int slot = (op & 0x7fffffff) % list.Count;
                cache.RemoveAt(layer, unit, slot);
                list.RemoveAt(slot);
            }
            else
            {
                int[] keep = [.. Enumerable.Range(0, list.Count).Where(i => ((op >> (i % 16)) & 1) == 1)];
                cache.Compact(layer, unit, keep);
                var kept = keep.Select(i => list[i]).ToList();
                list.Clear();
                list.AddRange(kept);
            }

            Assert.Equal(list.Count, cache.Length(layer, unit));
            Assert.Equal(list.Select(e => e.Position), cache.Positions(layer, unit).ToArray());
            Assert.Equal(list.Select(e => e.Score), cache.AccumulatedScores(layer, unit).ToArray());
            for (int s = 0; s < list.Count; s++)
            {
                Assert.Equal(list[s].Key, cache.Keys(layer, unit)[(s * d) + (d - 1)]);
                Assert.Equal(list[s].Key, cache.Values(layer, unit)[s * d]);
            }
        }

        Assert.Equal(model.Sum(l => (long)l.Count) * d * 2 * sizeof(float), cache.BytesInUse);
    }

    [Property(MaxTest = 40)]
    public void Decode_AnyPolicyAndLength_UnitsWithinCapacityNewestKeptPositionsIncreasing(int policySeed, byte promptSeed, byte steps)
    {
        var model = _model;
        var config = model.Config;
        int prompt = 2 + (promptSeed % 30);
        int decode = steps % 24;
        IKvCachePolicy policy = ((policySeed & 0x7fffffff) % 4) switch
        {
            0 => new UncompPolicy(2, 3),
            1 => new SnapKvPolicy(2, 1),
            2 => new StreamingLlmPolicy(1),
            _ => new H2OPolicy(),
        };
        var layout = KvCacheLayout.FromCapacities(config, [.. Enumerable.Range(0, config.NumLayers).Select(l => Enumerable.Range(0, config.NumKeyValueHeads).Select(u => 4 + (2 * l) + u).ToArray())]);
        var hooks = new CompressionHooks { Policy = policy };
        using var gen = new Generator(model, new GeneratorParams { MaxLength = 64, CacheLayout = layout, Hooks = hooks, EosTokenIds = [], Backend = new UNComp.Runtime.Compute.CpuBackend(1) });
        var rng = new Random(policySeed);
        gen.AppendTokens([.. Enumerable.Range(0, prompt).Select(_ => rng.Next(config.VocabSize))]);
        Check(gen.Cache, prompt);
        for (int t = 0; t < decode; t++)
        {
            gen.AppendTokens([rng.Next(config.VocabSize)]);
            Check(gen.Cache, prompt + t + 1);
        }
    }

    private static void Check(KvCache cache, int tokens)
    {
        long held = 0;
        for (int l = 0; l < cache.Layout.Layers; l++)
        {
            for (int u = 0; u < cache.Layout.UnitsPerLayer; u++)
            {
                var positions = cache.Positions(l, u);
                Assert.Equal(Math.Min(tokens, cache.Capacity(l, u)), positions.Length);
                Assert.Equal(tokens - 1, positions[^1]);
                for (int i = 1; i < positions.Length; i++)
                {
                    Assert.True(positions[i] > positions[i - 1], $"layer {l}, unit {u}: positions not increasing");
                }

                held += positions.Length;
            }
        }

        Assert.Equal(tokens, cache.NextPosition);
        Assert.Equal(held * cache.Layout.HeadDim * 2 * sizeof(float), cache.BytesInUse);
    }
}
