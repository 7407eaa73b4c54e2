namespace UNComp.Runtime.Profiles;

/// <summary>The <c>compression.hiddenStates</c> object: hidden-state (token) pruning by stage.</summary>
public sealed record ProfileHiddenStates
{
    /// <summary>Whether layers of later stages process fewer tokens.</summary>
    public required bool Enabled { get; init; }

    /// <summary>ε of the stage split: a stage starts where s_l − s_{l−1} &lt; −ε.</summary>
    public required double Epsilon { get; init; }

    /// <summary>m, the tokens kept by the last stage.</summary>
    public required int MinKeep { get; init; }

    /// <summary>T_max, the tokens kept by the first stage.</summary>
    public required int MaxTokens { get; init; }

    /// <summary>Whether the last w tokens always survive pruning.</summary>
    public required bool KeepWindow { get; init; }
}
