namespace UNComp.Runtime.Profiles;

/// <summary>One hidden-state stage: layers [FirstLayer, LastLayer] keep <see cref="KeepTokens"/> tokens.</summary>
public sealed record ProfileStage
{
    /// <summary>First layer of the stage.</summary>
    public required int FirstLayer { get; init; }

    /// <summary>Last layer of the stage (inclusive).</summary>
    public required int LastLayer { get; init; }

    /// <summary>Tokens a layer of this stage processes.</summary>
    public required int KeepTokens { get; init; }
}
