using UNComp.Runtime.Models;

namespace UNComp.Runtime.Profiles;

public sealed partial record ProfileModel
{
    /// <summary>The <c>model</c> section for a config and its fingerprint (the calibrator and the importer write it).</summary>
    public static ProfileModel FromConfig(ModelConfig config, string fingerprint)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrEmpty(fingerprint);
        return new ProfileModel
        {
            Architecture = config.Architecture,
            NumLayers = config.NumLayers,
            HiddenSize = config.HiddenSize,
            NumAttentionHeads = config.NumAttentionHeads,
            NumKeyValueHeads = config.NumKeyValueHeads,
            HeadDim = config.HeadDim,
            VocabSize = config.VocabSize,
            MaxPositionEmbeddings = config.MaxPositionEmbeddings,
            Fingerprint = fingerprint,
        };
    }
}
