using System.Text;
using Microsoft.CodeAnalysis;
using UNComp.Generators.Diagnostics;
using UNComp.Generators.Emit;
using UNComp.Generators.Model;
using UNComp.Generators.Parsing;
using UNComp.Generators.Tests.Infrastructure;
using UNComp.Testing.Fuzzing;
using Xunit.Abstractions;

namespace UNComp.Generators.Tests.Fuzzing;

/// <summary>
/// The generator under mutated profiles: parsing never throws, never reports UNC0099 (an internal error), refuses
/// every input it does not turn into a spec with at least one located error, and every spec it accepts emits and
/// compiles without C# errors. 10,000 cases here; <c>UNCOMP_FUZZ_CASES</c> runs more.
/// </summary>
public sealed class ProfileParserFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20261127;
    private const string Path = "/p/fuzz.uncomp.json";

    [Fact]
    public void MutatedProfiles_NeverCrash_EveryRefusalIsALocatedDiagnostic()
    {
        byte[][] seeds =
        [
            .. Directory.GetFiles(System.IO.Path.Combine(TestPaths.RepositoryRoot, "profiles"), "*.uncomp.json").Order(StringComparer.Ordinal).Select(File.ReadAllBytes),
            .. Directory.GetFiles(TestPaths.Profiles, "*.uncomp.json").Order(StringComparer.Ordinal).Select(File.ReadAllBytes),
        ];
        var accepted = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        var report = FuzzRunner.Run("profile JSON (generator)", new Mutator(seeds), Seed, FuzzRunner.Cases(10_000),
            bytes => ParseAndEmit(Encoding.UTF8.GetString(bytes), accepted),
            e => e is RefusedException ? null : FuzzRunner.Describe(e),
            TimeSpan.FromMinutes(30));
        output.WriteLine(report.ToString());
        Assert.True(report.Findings.Count == 0, report.ToString());
        Assert.True(report.Accepted > 0 && report.Accepted < report.Cases, report.ToString());

        // Accepted mutants that differ from the seeds must also compile: a constant overflow (CS0220) or a bad
        // identifier would break the user's build inside generated code.
        foreach (string source in accepted.Values.Take(6))
        {
            var compilation = GeneratorHarness.RuntimeCompilation(source);
            var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Take(3).ToList();
            Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
        }

        output.WriteLine($"{accepted.Count} distinct accepted specs; compiled {Math.Min(6, accepted.Count)}");
    }

    /// <summary>Parses one text; throws (a finding) on any rule of the generator's contract that it breaks.</summary>
    private static void ParseAndEmit(string text, System.Collections.Concurrent.ConcurrentDictionary<string, string> accepted)
    {
        var input = new ProfileInput(Path, text, null, null, "test", "Fuzz");
        ParseResult result = ProfileParser.Parse(input, CancellationToken.None);
        foreach (DiagnosticInfo d in result.Diagnostics)
        {
            if (d.Id == DiagnosticDescriptors.InternalError.Id)
            {
                throw new InvalidOperationException("UNC0099: " + string.Join(" | ", d.Arguments));
            }

            if (d.Span.End > text.Length)
            {
                throw new InvalidOperationException($"{d.Id} located at {d.Span}, past the end of the {text.Length}-character file");
            }
        }

        if (result.Spec is null)
        {
            if (!result.Diagnostics.Any(d => DiagnosticDescriptorTable.Find(d.Id).DefaultSeverity == DiagnosticSeverity.Error))
            {
                throw new InvalidOperationException("no spec and no error diagnostic: the profile was dropped silently");
            }

            throw new RefusedException();
        }

        string constants = ProfileEmitter.Emit(result.Spec);
        string runtime = RuntimeEmitter.Emit(result.Spec, new RuntimeSupport(true, true));
        if (accepted.Count < 50)
        {
            accepted.TryAdd(constants, constants + Environment.NewLine + runtime);
        }
    }

    /// <summary>A refusal with diagnostics: the expected outcome for most mutants, counted as "rejected".</summary>
    private sealed class RefusedException : Exception
    {
    }
}
