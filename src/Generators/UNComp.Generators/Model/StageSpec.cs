namespace UNComp.Generators.Model
{
    /// <summary>One layer stage: an inclusive layer range and the hidden-state tokens it keeps.</summary>
    internal sealed record StageSpec(int FirstLayer, int LastLayer, int KeepTokens);
}
