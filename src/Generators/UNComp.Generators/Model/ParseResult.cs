using UNComp.Generators.Diagnostics;

namespace UNComp.Generators.Model
{
    /// <summary>The parser's output: a spec when the profile is valid, and its diagnostics either way.</summary>
    internal sealed record ParseResult(ProfileSpec? Spec, ClassNameClaim? Claim, EquatableArray<DiagnosticInfo> Diagnostics);
}
