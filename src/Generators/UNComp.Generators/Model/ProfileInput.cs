namespace UNComp.Generators.Model
{
    /// <summary>
    /// What the parser needs from one additional file: its path, its text (null when unreadable) and the MSBuild
    /// knobs that apply to it. Equatable by value, so an unrelated edit leaves it unchanged.
    /// </summary>
    internal sealed record ProfileInput(
        string Path,
        string? Text,
        string? ClassNameOverride,
        string? NamespaceOverride,
        string NamespaceSource,
        string? Namespace);
}
