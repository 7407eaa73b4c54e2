using System.Collections;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace UNComp.Generators.Tests.Infrastructure;

/// <summary>
/// Incrementality checks in the manner of NetEscapades.EnumGenerators' <c>TestHelpers</c>: run the same driver twice
/// over equal inputs, assert the two runs produce the same sources and diagnostics, that every step named in
/// <see cref="TrackingNames"/> (found by reflection, so a new step is covered without editing the tests) ran
/// Cached or Unchanged the second time, and that no step output holds an <see cref="ISymbol"/>, a
/// <see cref="Compilation"/> or a <see cref="SyntaxNode"/> (any of which would defeat caching).
/// </summary>
internal static class IncrementalAssert
{
    /// <summary>Every step name declared in <see cref="TrackingNames"/>.</summary>
    public static IReadOnlyList<string> StepNames { get; } = typeof(TrackingNames)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .Select(f => (string)f.GetRawConstantValue()!)
        .ToArray();

    /// <summary>
    /// Runs the generator twice over <paramref name="compilation"/> (the second time over a clone) and returns the
    /// first run's result after the checks above. Steps in <paramref name="mayNotRun"/> may be absent (for example
    /// the runtime steps of a compilation without UNComp.Runtime); every other named step must have run.
    /// </summary>
    public static GeneratorRunResult RunTwice(Compilation compilation, AnalyzerConfigOptionsProvider? options, IEnumerable<AdditionalText> files, params string[] mayNotRun)
    {
        GeneratorDriver driver = GeneratorHarness.Driver(files, options);
        driver = driver.RunGenerators(compilation);
        GeneratorRunResult first = driver.GetRunResult().Results.Single();
        driver = driver.RunGenerators(compilation.Clone());
        GeneratorRunResult second = driver.GetRunResult().Results.Single();

        Assert.Equal(
            first.GeneratedSources.Select(s => (s.HintName, s.SourceText.ToString())),
            second.GeneratedSources.Select(s => (s.HintName, s.SourceText.ToString())));
        Assert.Equal(first.Diagnostics.Select(d => d.ToString()), second.Diagnostics.Select(d => d.ToString()));

        foreach (string step in StepNames)
        {
            if (!first.TrackedSteps.TryGetValue(step, out var firstSteps))
            {
                Assert.True(mayNotRun.Contains(step), $"step {step} did not run; tracked: {string.Join(", ", first.TrackedSteps.Keys)}");
                continue;
            }

            foreach (IncrementalGeneratorRunStep run in firstSteps)
            {
                foreach ((object value, _) in run.Outputs)
                {
                    AssertNoCompilerObjects(value, step);
                }
            }

            foreach ((object _, IncrementalStepRunReason reason) in second.TrackedSteps[step].SelectMany(s => s.Outputs))
            {
                Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"step {step} ran with reason {reason} on an identical second run");
            }
        }

        return first;
    }

    /// <summary>Walks an output's object graph (fields, collections) and fails on a symbol, compilation or syntax node.</summary>
    public static void AssertNoCompilerObjects(object? value, string step)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        Visit(value, step, "output", seen);
    }

    private static void Visit(object? value, string step, string path, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum || value is decimal)
        {
            return;
        }

        Assert.False(value is ISymbol or Compilation or SyntaxNode, $"step {step}: {path} is a {value.GetType().Name}; step outputs must hold no symbols, compilations or syntax nodes");
        Type type = value.GetType();
        if (!type.IsValueType && !seen.Add(value))
        {
            return;
        }

        // Roslyn's own inputs (additional texts, options) are allowed as step inputs; do not walk into them.
        if (value is AdditionalText or AnalyzerConfigOptionsProvider or AnalyzerConfigOptions or Microsoft.CodeAnalysis.Text.SourceText)
        {
            return;
        }

        if (value is IEnumerable items)
        {
            int i = 0;
            foreach (object? item in items)
            {
                Visit(item, step, path + "[" + i++ + "]", seen);
            }

            return;
        }

        for (Type? t = type; t is not null && t != typeof(object); t = t.BaseType)
        {
            foreach (FieldInfo field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (field.FieldType.IsPointer || field.FieldType.IsByRefLike)
                {
                    continue;
                }

                Visit(field.GetValue(value), step, path + "." + field.Name, seen);
            }
        }
    }
}
