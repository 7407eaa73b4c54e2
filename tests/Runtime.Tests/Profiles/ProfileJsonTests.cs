using UNComp.Runtime.Calibration;
using UNComp.Runtime.Profiles;

namespace UNComp.Runtime.Tests.Profiles;

public class ProfileJsonTests
{
    [Fact]
    public void Write_ThenParse_RoundTripsTextExactly()
    {
        var profile = TestProfiles.Build();
        string text = ProfileWriter.Write(profile);
        var parsed = ProfileLoader.Parse(text, "roundtrip");
        Assert.Equal(text, ProfileWriter.Write(parsed));
        Assert.Equal(profile.Layers[5].Budgets, parsed.Layers[5].Budgets);
        Assert.Equal("synthetic \"quoted\" text", parsed.Calibration.Source);
    }

    [Fact]
    public void Write_Layout_KeysInDocOrderOneLayerPerBlock()
    {
        string text = ProfileWriter.Write(TestProfiles.Build());
        string[] keys = ["\"format\"", "\"name\"", "\"model\"", "\"calibration\"", "\"compression\"", "\"stages\"", "\"layers\""];
        var positions = keys.Select(k => text.IndexOf(k, StringComparison.Ordinal)).ToArray();
        Assert.All(positions, p => Assert.True(p >= 0));
        Assert.Equal(positions.OrderBy(p => p), positions);
        Assert.Contains("\n      \"budgets\": [80, 176]\n", text, StringComparison.Ordinal);
        Assert.Contains("\"hiddenStates\": { \"enabled\": true, \"epsilon\": 1, \"minKeep\": 768, \"maxTokens\": 2048, \"keepWindow\": true }", text, StringComparison.Ordinal);
        Assert.Contains("    { \"firstLayer\": 0, \"lastLayer\": 2, \"keepTokens\": 2048 },\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\r", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_SyntheticMeasurements_GroupsPartitionAndStagesFollowScoreDrop()
    {
        var profile = TestProfiles.Build();
        Assert.Equal(2, profile.Stages.Count);
        Assert.Equal(3, profile.Stages[1].FirstLayer);
        Assert.Equal([2048, 768], profile.Stages.Select(s => s.KeepTokens));
        Assert.All(profile.Layers, l => Assert.Equal([0, 1], l.Groups.Order()));
        Assert.Equal(128.0, profile.TotalBudgetTokens / (6.0 * 2));
    }

    [Fact]
    public void Build_QueryHeadEightGroups_OneUnitPerGroup()
    {
        var profile = TestProfiles.Build(new PlanOptions { GroupCount = 8, Granularity = CacheGranularity.QueryHead, MeanBudget = 128 });
        Assert.All(profile.Layers, l => Assert.Equal(Enumerable.Range(0, 8), l.Groups.Order()));
        Assert.All(profile.Layers, l => Assert.Equal(1024, l.Budgets.Sum()));
        // Query head with the highest mean entropy gets the top group.
        var layer0 = profile.Layers[0];
        int top = Enumerable.Range(0, 8).MaxBy(h => layer0.Entropy[h]);
        Assert.Equal(7, layer0.Groups[top]);
    }

    [Fact]
    public void ParseUnvalidated_WrongType_ReportsJsonPathAndLine()
    {
        string text = ProfileWriter.Write(TestProfiles.Build()).Replace("\"numLayers\": 6", "\"numLayers\": \"six\"", StringComparison.Ordinal);
        var e = Assert.Throws<ProfileLoadException>(() => ProfileLoader.Parse(text, "bad.uncomp.json"));
        Assert.Contains("bad.uncomp.json", e.Message, StringComparison.Ordinal);
        Assert.Contains("$.model.numLayers", e.Message, StringComparison.Ordinal);
        Assert.Contains("line 6", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MissingRequiredKey_NamesIt()
    {
        string text = ProfileWriter.Write(TestProfiles.Build()).Replace("\"vocabSize\": 4096,", string.Empty, StringComparison.Ordinal);
        var e = Assert.Throws<ProfileLoadException>(() => ProfileLoader.Parse(text, "p.json"));
        Assert.Contains("vocabSize", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFile_NamesFileAndFix()
    {
        var e = Assert.Throws<ProfileLoadException>(() => ProfileLoader.Load("/nonexistent/x.uncomp.json"));
        Assert.Contains("/nonexistent/x.uncomp.json", e.Message, StringComparison.Ordinal);
        Assert.Contains("uncomp calibrate", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Save_ThenLoad_GivesSameProfileText()
    {
        var profile = TestProfiles.Build();
        string path = Path.Combine(Path.GetTempPath(), $"uncomp-test-{Guid.NewGuid():N}", "p.uncomp.json");
        try
        {
            ProfileWriter.Save(profile, path);
            Assert.Equal(ProfileWriter.Write(profile), ProfileWriter.Write(ProfileLoader.Load(path)));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, true);
        }
    }
}
