using UNComp.Runtime.Calibration;
using UNComp.Runtime.Profiles;

namespace UNComp.Runtime.Tests.Calibration;

public sealed class AuthorsCalibrationImporterTests : IDisposable
{
    private static readonly string TinyDir = Path.Combine(AppContext.BaseDirectory, "Calibration", "Fixtures", "authors-tiny");
    private readonly string temp = Path.Combine(Path.GetTempPath(), "uncomp-import-" + Guid.NewGuid().ToString("N"));

    public AuthorsCalibrationImporterTests() => Directory.CreateDirectory(temp);

    public void Dispose() => Directory.Delete(temp, true);

    /// <summary>Writes 32 layer files; in layer l, head h is "high" (1) on most samples when (h + l) is even.</summary>
    private void WriteLlamaLikeCsv(int heads, int samples)
    {
        var rng = new Random(3);
        for (int l = 0; l < 32; l++)
        {
            var lines = new List<string>();
            for (int s = 0; s < samples; s++)
            {
                var row = Enumerable.Range(0, heads).Select(h => ((h + l) % 2 == 0) ^ (rng.NextDouble() < 0.1) ? 1 : 0);
                lines.Add(string.Join(",", row));
            }

            File.WriteAllLines(Path.Combine(temp, AuthorsCalibrationImporter.FileName(l)), lines);
        }
    }

    [Fact]
    public void Import_TinyConfigShape_GroupsFromVotesPerKvHead()
    {
        var shape = ModelPresets.Resolve(Path.Combine(TinyDir, "config.json"));
        var profile = AuthorsCalibrationImporter.Import(TinyDir, shape, new ImportOptions { Name = "Tiny", Plan = new PlanOptions { MeanBudget = 64 }, CreatedUtc = "2026-01-01T00:00:00Z" });
        Assert.Equal(2, profile.Layers.Count);
        // Layer 0: query heads 0,1 (KV 0) have 4 high votes of 6; heads 2,3 (KV 1) have 2 → KV 0 is the high group.
        Assert.Equal([1, 0], profile.Layers[0].Groups);
        Assert.Equal([0, 1], profile.Layers[1].Groups);
        Assert.Equal([1.0, 0.333333, 0.333333, 0.333333], profile.Layers[0].Entropy);
        Assert.Equal(3, profile.Calibration.Samples);
        Assert.Single(profile.Stages);
        Assert.False(profile.Compression.HiddenStates.Enabled);
        Assert.Equal(64.0, profile.Layers.SelectMany(l => l.Budgets).Average());
        Assert.Equal("F32", shape.WeightDType);
        Assert.True(shape.TieWordEmbeddings);
        Assert.Empty(ProfileValidator.Validate(profile));
    }

    [Fact]
    public void Import_InvertLabels_SwapsGroups()
    {
        var shape = ModelPresets.Resolve(TinyDir);
        var profile = AuthorsCalibrationImporter.Import(TinyDir, shape, new ImportOptions { Name = "Tiny", InvertLabels = true, Plan = new PlanOptions { MeanBudget = 64 } });
        Assert.Equal([0, 1], profile.Layers[0].Groups);
    }

    [Fact]
    public void Import_Llama2Shape_FiveAuthorStagesAndOneUnitPerHead()
    {
        WriteLlamaLikeCsv(32, 12);
        var profile = AuthorsCalibrationImporter.Import(temp, ModelPresets.Resolve("llama-2-7b"), new ImportOptions { Name = "Llama2Chat7B" });
        Assert.Equal([4096, 3456, 2816, 2176, 1536], profile.Stages.Select(s => s.KeepTokens));
        Assert.Equal(32, profile.Layers[0].Groups.Count); // no GQA: 32 KV heads = 32 query heads
        Assert.Equal(1, profile.Layers[0].Groups[0]);    // (0 + 0) even → mostly high
        Assert.Equal(0, profile.Layers[0].Groups[1]);
        Assert.Equal(1, profile.Layers[1].Groups[1]);
        Assert.Equal([256, 512], profile.Layers[0].Budgets.Distinct().Order());
    }

    [Fact]
    public void Import_Llama3ShapeQueryHeadAuthorsBudgets_ThirtyTwoUnits384And768()
    {
        WriteLlamaLikeCsv(32, 5);
        var kv = AuthorsCalibrationImporter.Import(temp, ModelPresets.Resolve("llama-3-8b"), new ImportOptions { Name = "L3" });
        var qh = AuthorsCalibrationImporter.Import(temp, ModelPresets.Resolve("llama-3-8b"),
            new ImportOptions { Name = "L3Q", Plan = new PlanOptions { Granularity = CacheGranularity.QueryHead, AuthorsBudgets = true, MeanBudget = 512 } });
        Assert.Equal(8, kv.Layers[0].Budgets.Count);
        Assert.Equal(32, qh.Layers[0].Budgets.Count);
        Assert.Equal([384, 768], qh.Layers[0].Budgets.Distinct().Order());
        Assert.Equal(576.0, qh.Compression.MeanBudget);
        Assert.NotEqual(kv.Model.Fingerprint, ModelFingerprint.FromConfig(ModelPresets.Llama2Chat7B));
    }

    [Fact]
    public void ReadLabels_WrongWidth_NamesFileAndLine()
    {
        WriteLlamaLikeCsv(32, 3);
        File.AppendAllText(Path.Combine(temp, AuthorsCalibrationImporter.FileName(7)), "1,0,1\n");
        var e = Assert.Throws<InvalidDataException>(() => AuthorsCalibrationImporter.ReadLabels(temp, 32, 32));
        Assert.Contains("head_type_search_layer7.csv:4", e.Message, StringComparison.Ordinal);
        Assert.Contains("--shape", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadLabels_MissingLayer_NamesExpectedFiles()
    {
        var e = Assert.Throws<InvalidDataException>(() => AuthorsCalibrationImporter.ReadLabels(TinyDir, 3, 4));
        Assert.Contains(AuthorsCalibrationImporter.FileName(2), e.Message, StringComparison.Ordinal);
        Assert.Contains("3 layers", e.Message, StringComparison.Ordinal);
    }
}
