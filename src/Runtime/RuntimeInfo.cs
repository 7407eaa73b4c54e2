namespace UNComp.Runtime;

/// <summary>Placeholder kept until the first real type lands.</summary>
internal static class RuntimeInfo
{
    /// <summary>The profile format this runtime reads and writes.</summary>
    public const string ProfileFormat = "uncomp-profile/1";
}
