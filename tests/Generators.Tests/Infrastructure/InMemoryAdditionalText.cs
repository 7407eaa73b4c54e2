using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace UNComp.Generators.Tests.Infrastructure;

/// <summary>An additional file held in memory; <c>text: null</c> simulates an unreadable file.</summary>
internal sealed class InMemoryAdditionalText(string path, string? text) : AdditionalText
{
    private readonly SourceText? _text = text is null ? null : SourceText.From(text);

    public override string Path { get; } = path;

    public override SourceText? GetText(CancellationToken cancellationToken = default) => _text;
}
