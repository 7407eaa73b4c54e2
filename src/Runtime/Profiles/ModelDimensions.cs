namespace UNComp.Runtime.Profiles;

/// <summary>The model dimensions that enter the fingerprint (and a profile's <c>model</c> section).</summary>
public sealed record ModelDimensions(
    string Architecture,
    int NumLayers,
    int HiddenSize,
    int NumAttentionHeads,
    int NumKeyValueHeads,
    int HeadDim,
    int VocabSize,
    int MaxPositionEmbeddings)
{
    /// <summary>The dimensions recorded in a profile.</summary>
    public static ModelDimensions FromProfile(ProfileModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new(model.Architecture, model.NumLayers, model.HiddenSize, model.NumAttentionHeads, model.NumKeyValueHeads,
            model.HeadDim, model.VocabSize, model.MaxPositionEmbeddings);
    }
}
