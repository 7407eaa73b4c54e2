using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using UNComp.Generators.Tests.Infrastructure;

namespace UNComp.Generators.Tests;

/// <summary>
/// The pipeline re-runs only what an edit requires. Every named step (<see cref="TrackingNames"/>) is checked by
/// its run reason on the second run of a driver that tracks steps.
/// </summary>
public class IncrementalityTests
{
    /// <summary>Every named step except the runtime ones and the misnamed-item check (which has no input here).</summary>
    private static readonly string[] AllSteps = IncrementalAssert.StepNames
        .Except([TrackingNames.RuntimeSupport, TrackingNames.RuntimeSpecs, TrackingNames.MisnamedProfileItems])
        .ToArray();

    private static readonly InMemoryAdditionalText Gqa = new("/p/gqa.uncomp.json", TestPaths.ReadProfile("gqa-two-groups.uncomp.json"));
    private static readonly InMemoryAdditionalText Mha = new("/p/mha.uncomp.json", TestPaths.ReadProfile("mha-stages-off.uncomp.json"));

    [Fact]
    public void Rerun_UnrelatedSourceEdit_EveryStepCachedOrUnchanged()
    {
        CSharpCompilation compilation = GeneratorHarness.Compilation("class A { }");
        GeneratorDriver driver = GeneratorHarness.Driver(new[] { Gqa, Mha }).RunGenerators(compilation);

        CSharpCompilation edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("class B { int x; }", GeneratorHarness.ParseOptions));
        GeneratorRunResult result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        foreach (string step in AllSteps)
        {
            Assert.True(result.TrackedSteps.ContainsKey(step), $"step {step} was not tracked; tracked: {string.Join(", ", result.TrackedSteps.Keys)}");
            AssertAll(result, step, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        }

        AssertOutputsNotRerun(result);
        Assert.Equal(2, result.GeneratedSources.Length);
    }

    [Fact]
    public void Rerun_UnrelatedSourceEditWithRuntimeReferenced_RuntimeStepsCachedOrUnchanged()
    {
        CSharpCompilation compilation = GeneratorHarness.RuntimeCompilation("class A { }");
        GeneratorDriver driver = GeneratorHarness.Driver(new[] { Gqa, Mha }).RunGenerators(compilation);

        CSharpCompilation edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("class B { int x; }", GeneratorHarness.ParseOptions));
        GeneratorRunResult result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        foreach (string step in AllSteps.Append(TrackingNames.RuntimeSupport).Append(TrackingNames.RuntimeSpecs))
        {
            AssertAll(result, step, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        }

        AssertOutputsNotRerun(result);
        Assert.Equal(4, result.GeneratedSources.Length);
    }

    [Fact]
    public void Rerun_OneProfileEdited_OnlyThatProfileIsReEmitted()
    {
        GeneratorDriver driver = GeneratorHarness.Driver(new[] { Gqa, Mha }).RunGenerators(GeneratorHarness.Compilation());
        var edited = new InMemoryAdditionalText(Gqa.Path, Gqa.GetText()!.ToString().Replace("\"score\": 60.0", "\"score\": 61.5", StringComparison.Ordinal));

        GeneratorRunResult result = driver.ReplaceAdditionalText(Gqa, edited).RunGenerators(GeneratorHarness.Compilation()).GetRunResult().Results.Single();

        Assert.Equal(new[] { IncrementalStepRunReason.Modified, IncrementalStepRunReason.Cached }, Reasons(result, TrackingNames.ProfileSpecs));
        Assert.Equal(new[] { IncrementalStepRunReason.Modified, IncrementalStepRunReason.Cached }, Reasons(result, TrackingNames.EmittableSpecs));
        // Names did not change, so the all-profiles duplicate check produces the same set.
        AssertAll(result, TrackingNames.DuplicateNameSet, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        Assert.Contains("new double[] { 61.5, 56.9", result.GeneratedSources.Single(s => s.HintName.Contains("FixtureLlama", StringComparison.Ordinal)).SourceText.ToString());
    }

    [Fact]
    public void Rerun_WhitespaceOnlyProfileEdit_SpecUnchangedAndCodeNotReEmitted()
    {
        GeneratorDriver driver = GeneratorHarness.Driver(new[] { Gqa }).RunGenerators(GeneratorHarness.Compilation());
        var edited = new InMemoryAdditionalText(Gqa.Path, "\n\n  " + Gqa.GetText()!.ToString().Replace(": ", ":   ", StringComparison.Ordinal));

        GeneratorRunResult result = driver.ReplaceAdditionalText(Gqa, edited).RunGenerators(GeneratorHarness.Compilation()).GetRunResult().Results.Single();

        AssertAll(result, TrackingNames.ProfileInputs, IncrementalStepRunReason.Modified);
        AssertAll(result, TrackingNames.ProfileSpecs, IncrementalStepRunReason.Unchanged);
        AssertAll(result, TrackingNames.EmittableSpecs, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        AssertOutputsNotRerun(result, "SourceOutput");
    }

    [Fact]
    public void Rerun_WarningMovedByEdit_DiagnosticReportedAtNewLineButCodeNotReEmitted()
    {
        string warned = TestPaths.ReadProfile("mha-stages-off.uncomp.json").Replace("\"groups\": [0, 1, 0, 1]", "\"groups\": [0, 0, 0, 1]", StringComparison.Ordinal);
        var original = new InMemoryAdditionalText("/p/w.uncomp.json", warned);
        GeneratorDriver driver = GeneratorHarness.Driver(new[] { original }).RunGenerators(GeneratorHarness.Compilation());
        int before = driver.GetRunResult().Diagnostics.Single().Location.GetLineSpan().StartLinePosition.Line;

        var moved = new InMemoryAdditionalText(original.Path, "\n" + warned);
        GeneratorRunResult result = driver.ReplaceAdditionalText(original, moved).RunGenerators(GeneratorHarness.Compilation()).GetRunResult().Results.Single();

        Diagnostic warning = Assert.Single(result.Diagnostics);
        Assert.Equal("UNC0009", warning.Id);
        Assert.Equal(before + 1, warning.Location.GetLineSpan().StartLinePosition.Line);
        AssertAll(result, TrackingNames.ProfileDiagnostics, IncrementalStepRunReason.Modified);
        AssertAll(result, TrackingNames.EmittableSpecs, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
    }

    private static IncrementalStepRunReason[] Reasons(GeneratorRunResult result, string step)
        => result.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();

    private static void AssertAll(GeneratorRunResult result, string step, params IncrementalStepRunReason[] allowed)
    {
        IncrementalStepRunReason[] reasons = Reasons(result, step);
        Assert.NotEmpty(reasons);
        Assert.All(reasons, r => Assert.True(allowed.Contains(r), $"step {step} ran with reason {r}"));
    }

    /// <summary>The registered outputs (source and diagnostics) saw no new input, so nothing was re-emitted.</summary>
    private static void AssertOutputsNotRerun(GeneratorRunResult result, string? only = null)
    {
        Assert.Contains("SourceOutput", result.TrackedOutputSteps.Keys);
        foreach ((string name, var steps) in result.TrackedOutputSteps)
        {
            if (only is not null && name != only)
            {
                continue;
            }

            foreach (var output in steps.SelectMany(s => s.Outputs))
            {
                Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"output {name} ran with reason {output.Reason}");
            }
        }
    }
}
