using UNComp.Generators.Json;

namespace UNComp.Generators.Model
{
    /// <summary>A valid profile's generated class name and where it came from, for duplicate detection.</summary>
    internal sealed record ClassNameClaim(string FullName, string FilePath, Microsoft.CodeAnalysis.Text.TextSpan Span, Microsoft.CodeAnalysis.Text.LinePositionSpan Lines)
    {
        public static ClassNameClaim Create(string fullName, string filePath, TextRange range)
            => new ClassNameClaim(fullName, filePath, range.Span, range.Lines);
    }
}
