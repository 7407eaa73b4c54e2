namespace UNComp.Generators.Model
{
    /// <summary>The <c>model</c> block of a profile.</summary>
    internal sealed record ModelDimensions(
        string Architecture,
        int NumLayers,
        int HiddenSize,
        int NumAttentionHeads,
        int NumKeyValueHeads,
        int HeadDim,
        int VocabSize,
        int MaxPositionEmbeddings,
        string Fingerprint);
}
