using UNComp.Runtime.Profiles;

namespace UNComp.Runtime.Tests.Profiles;

public class ProfileValidatorTests
{
    [Fact]
    public void Validate_BuiltProfile_HasNoProblems()
    {
        Assert.Empty(ProfileValidator.Validate(TestProfiles.Build()));
    }

    [Fact]
    public void Validate_ManyViolations_ReportsEveryOneWithItsPath()
    {
        var good = TestProfiles.Build();
        var layers = good.Layers.ToList();
        layers[3] = layers[3] with { Groups = [1, 1], Budgets = [4, 176] };
        layers[4] = layers[4] with { Layer = 7, Entropy = [0.5] };
        var bad = good with
        {
            Format = "uncomp-profile/2",
            Name = "class",
            Model = good.Model with { NumKeyValueHeads = 3, Fingerprint = "md5:x" },
            Compression = good.Compression with { PoolKernel = 6, GroupWeights = [1.0, -1.0] },
            Stages = [new ProfileStage { FirstLayer = 0, LastLayer = 2, KeepTokens = 100 }, new ProfileStage { FirstLayer = 4, LastLayer = 4, KeepTokens = 200 }],
            Layers = layers,
        };

        var paths = ProfileValidator.Validate(bad).Select(p => p.Path).ToHashSet();
        string[] expected =
        [
            "$.format", "$.name", "$.model.numKeyValueHeads", "$.model.fingerprint", "$.compression.poolKernel",
            "$.compression.groupWeights[1]", "$.stages[1].firstLayer", "$.stages[1].keepTokens", "$.stages[1].lastLayer",
        ];
        Assert.All(expected, p => Assert.Contains(p, paths));
    }

    [Fact]
    public void Validate_LayerViolations_ReportsGroupsBudgetsMeanAndOrder()
    {
        var good = TestProfiles.Build();
        var layers = good.Layers.ToList();
        layers[3] = layers[3] with { Groups = [1, 2], Budgets = [4, 176] };
        layers[4] = layers[4] with { Layer = 7, Entropy = [0.5] };
        layers[5] = layers[5] with { Groups = [1, 0], Budgets = [80, 176] };
        var problems = ProfileValidator.Validate(good with { Layers = layers });
        var paths = problems.Select(p => p.Path).ToList();
        Assert.Contains("$.layers[3].groups[1]", paths);
        Assert.Contains("$.layers[3].budgets[0]", paths);
        Assert.Contains("$.layers[4].layer", paths);
        Assert.Contains("$.layers[4].entropy", paths);
        Assert.Contains("$.layers[5].budgets[0]", paths);
        Assert.Contains("$.compression.meanBudget", paths);
        Assert.Contains(problems, p => p.Path == "$.layers[3].budgets[0]" && p.Message.Contains("at least window (8)", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_StagesWithHiddenStatesOff_Reported()
    {
        var good = TestProfiles.Build();
        var bad = good with { Compression = good.Compression with { HiddenStates = good.Compression.HiddenStates with { Enabled = false } } };
        Assert.Contains(ProfileValidator.Validate(bad), p => p.Path == "$.stages");
    }

    [Fact]
    public void Parse_InvalidProfile_MessageListsAllProblems()
    {
        var good = TestProfiles.Build();
        var bad = good with { Name = "1abc", Compression = good.Compression with { Window = 0 } };
        var e = Assert.Throws<ProfileLoadException>(() => ProfileLoader.Parse(ProfileWriter.Write(bad), "bad.uncomp.json"));
        Assert.Contains("$.name", e.Message, StringComparison.Ordinal);
        Assert.Contains("$.compression.window", e.Message, StringComparison.Ordinal);
        Assert.True(e.Problems.Count >= 2);
    }
}
