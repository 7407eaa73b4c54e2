using UNComp.Runtime.Compression;
using UNComp.Runtime.Compression.Methods;
using UNComp.Runtime.Evaluation;
using UNComp.Runtime.Tests.Profiles;
using UNComp.Runtime.Tests.TestSupport;

namespace UNComp.Runtime.Tests.Compression.Methods;

/// <summary>The registry and the plans it resolves.</summary>
public class CompressionMethodsTests
{
    [Fact]
    public void Registry_NamesAreUniqueAndEvalUsesThem()
    {
        Assert.Equal(CompressionMethods.Names.Count, CompressionMethods.Names.Distinct().Count());
        Assert.Equal(["full", "uncomp", "uncomp-kv", "snapkv", "pyramidkv", "streamingllm", "h2o", "knorm"], CompressionMethods.Names);
        Assert.Same(CompressionMethods.Names, EvalMethods.All);
        Assert.All(new EvalOptions().Methods, m => Assert.Contains(m, CompressionMethods.Names));
    }

    [Fact]
    public void Get_UnknownName_ListsTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => CompressionMethods.Get("snap"));
        Assert.Contains("unknown method 'snap'", e.Message);
        Assert.Contains("snapkv, pyramidkv", e.Message);
    }

    [Fact]
    public void Plan_UncompFromProfile_CarriesSelectionBudgetsAndHiddenStateStages()
    {
        using var tiny = new TinyModel(new TinyModelSpec { Layers = 2, Heads = 4, KvHeads = 2 });
        using var model = tiny.Load();
        var profile = TestProfiles.Build(layers: 2, heads: 4, kvHeads: 2);
        var request = new MethodRequest(model.Config, 40, PromptLength: 200, MaxCapacity: 210, profile);
        var plan = CompressionMethods.Get("uncomp").Plan(request);

        var c = profile.Compression;
        Assert.Equal(new SelectionSpec(ScoreSource.ObservationWindow, c.Window, c.PoolKernel, PoolingKind.Max, 0, c.Window, DecodeMode.Fixed), plan.Selection);
        Assert.Equal(40, plan.Budgets.MeanTokensPerUnit, 1e-9);
        var keep = UncompCompression.ProfileKeepLengths(profile, model.Config, null, 200);
        Assert.Equal(keep is null ? null : new HiddenStateSpec(keep, 8, c.HiddenStates.KeepWindow), plan.HiddenStates);
        Assert.Null(CompressionMethods.Get("uncomp-kv").Plan(request).HiddenStates);
        var e = Assert.Throws<ArgumentException>(() => CompressionMethods.Get("uncomp").Plan(request with { Profile = null }));
        Assert.Contains("needs a calibrated profile", e.Message);
    }

    [Fact]
    public void Plan_GrowMode_AddsHeadroomToEveryUnitAndPrefillKeepsTheBudget()
    {
        using var tiny = new TinyModel(new TinyModelSpec { Layers = 2, Heads = 4, KvHeads = 2 });
        using var model = tiny.Load();
        var grow = new GrowingSnapKv();
        var plan = grow.Plan(new MethodRequest(model.Config, 16, 100, 120, GrowTokens: 5));
        Assert.Equal(5, plan.GrowTokens);
        Assert.All(plan.Budgets.Capacities, row => Assert.All(row, capacity => Assert.Equal(21, capacity)));
        var policy = Assert.IsType<SpecPolicy>(plan.CreateCpuSetup().Hooks.Policy);
        Assert.Equal(16, policy.PrefillKeep(0, 0, 21));

        var fixedPlan = new SnapKvMethod().Plan(new MethodRequest(model.Config, 16, 100, 120, GrowTokens: 5));
        Assert.Equal(0, fixedPlan.GrowTokens);
        Assert.All(fixedPlan.Budgets.Capacities, row => Assert.All(row, capacity => Assert.Equal(16, capacity)));
    }

    [Fact]
    public void Plan_Full_HasNoSelectionAndHoldsPromptPlusNewTokens()
    {
        using var tiny = new TinyModel(new TinyModelSpec { Layers = 2, Heads = 4, KvHeads = 2 });
        using var model = tiny.Load();
        var plan = CompressionMethods.Get("full").Plan(new MethodRequest(model.Config, 3, 100, 120));
        Assert.Null(plan.Selection);
        Assert.All(plan.Budgets.Capacities, row => Assert.All(row, capacity => Assert.Equal(120, capacity)));
        Assert.Same(FullCachePolicy.Instance, plan.CreateCpuSetup().Hooks.Policy);
    }

    private sealed class GrowingSnapKv : CompressionMethod
    {
        public override string Name => "snapkv-grow";

        public override string Summary => "test method";

        public override SelectionSpec? Selection(MethodRequest request) => SnapKvMethod.Spec with { Decode = DecodeMode.Grow };
    }
}
