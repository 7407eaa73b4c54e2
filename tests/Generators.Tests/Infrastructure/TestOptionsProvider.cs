using System.Diagnostics.CodeAnalysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace UNComp.Generators.Tests.Infrastructure;

/// <summary>MSBuild-visible options as the compiler would pass them: global properties and per-file metadata.</summary>
internal sealed class TestOptionsProvider(
    IReadOnlyDictionary<string, string> global,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> perFile) : AnalyzerConfigOptionsProvider
{
    public static TestOptionsProvider Empty { get; } = new(new Dictionary<string, string>(), new Dictionary<string, IReadOnlyDictionary<string, string>>());

    public override AnalyzerConfigOptions GlobalOptions { get; } = new DictionaryOptions(global);

    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => DictionaryOptions.None;

    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile)
        => perFile.TryGetValue(textFile.Path, out var values) ? new DictionaryOptions(values) : DictionaryOptions.None;

    private sealed class DictionaryOptions(IReadOnlyDictionary<string, string> values) : AnalyzerConfigOptions
    {
        public static DictionaryOptions None { get; } = new(new Dictionary<string, string>());

        public override bool TryGetValue(string key, [NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
    }
}
