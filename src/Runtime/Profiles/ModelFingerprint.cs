using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace UNComp.Runtime.Profiles;

/// <summary>
/// The model fingerprint of docs/profile-format.md: <c>sha256:</c> + hex SHA-256 of a text listing the dimensions
/// and every tensor's name, dtype and shape (sorted by name, ordinal). It identifies shape and weight index, not
/// weight values.
/// </summary>
public static partial class ModelFingerprint
{
    /// <summary>The exact text that is hashed, <c>\n</c> after every line.</summary>
    public static string CanonicalText(ModelDimensions dimensions, IEnumerable<TensorDescriptor> tensors)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        ArgumentNullException.ThrowIfNull(tensors);
        var sb = new StringBuilder();
        sb.Append("arch=").Append(dimensions.Architecture).Append('\n');
        sb.Append(CultureInfo.InvariantCulture, $"layers={dimensions.NumLayers}\n");
        sb.Append(CultureInfo.InvariantCulture, $"hidden={dimensions.HiddenSize}\n");
        sb.Append(CultureInfo.InvariantCulture, $"heads={dimensions.NumAttentionHeads}\n");
        sb.Append(CultureInfo.InvariantCulture, $"kv_heads={dimensions.NumKeyValueHeads}\n");
        sb.Append(CultureInfo.InvariantCulture, $"head_dim={dimensions.HeadDim}\n");
        sb.Append(CultureInfo.InvariantCulture, $"vocab={dimensions.VocabSize}\n");
        foreach (var t in tensors.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            sb.Append(t.Name).Append('|').Append(t.DType).Append('|')
              .Append(string.Join(",", t.Shape.Select(d => d.ToString(CultureInfo.InvariantCulture)))).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary><c>sha256:</c> + 64 lowercase hex digits.</summary>
    public static string Compute(ModelDimensions dimensions, IEnumerable<TensorDescriptor> tensors)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(CanonicalText(dimensions, tensors)));
        return "sha256:" + Convert.ToHexStringLower(bytes);
    }

    /// <summary>
    /// The tensors of a standard Hugging Face Llama-family checkpoint of these dimensions, all of one dtype
    /// (q/k/v/o, gate/up/down, two norms per layer, embeddings, final norm, lm_head unless tied). Used where the real
    /// weight index is not at hand (importing published calibration data); a model loaded later is checked
    /// against its real tensors.
    /// </summary>
    public static IReadOnlyList<TensorDescriptor> StandardLlamaTensors(ModelDimensions dimensions, int intermediateSize, string dtype, bool tiedEmbeddings)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        long h = dimensions.HiddenSize, q = (long)dimensions.NumAttentionHeads * dimensions.HeadDim, kv = (long)dimensions.NumKeyValueHeads * dimensions.HeadDim;
        var list = new List<TensorDescriptor>
        {
            new("model.embed_tokens.weight", dtype, [dimensions.VocabSize, h]),
            new("model.norm.weight", dtype, [h]),
        };
        if (!tiedEmbeddings)
        {
            list.Add(new("lm_head.weight", dtype, [dimensions.VocabSize, h]));
        }

        for (int l = 0; l < dimensions.NumLayers; l++)
        {
            string p = $"model.layers.{l.ToString(CultureInfo.InvariantCulture)}.";
            list.Add(new(p + "input_layernorm.weight", dtype, [h]));
            list.Add(new(p + "post_attention_layernorm.weight", dtype, [h]));
            list.Add(new(p + "self_attn.q_proj.weight", dtype, [q, h]));
            list.Add(new(p + "self_attn.k_proj.weight", dtype, [kv, h]));
            list.Add(new(p + "self_attn.v_proj.weight", dtype, [kv, h]));
            list.Add(new(p + "self_attn.o_proj.weight", dtype, [h, q]));
            list.Add(new(p + "mlp.gate_proj.weight", dtype, [intermediateSize, h]));
            list.Add(new(p + "mlp.up_proj.weight", dtype, [intermediateSize, h]));
            list.Add(new(p + "mlp.down_proj.weight", dtype, [h, intermediateSize]));
        }

        return list;
    }

    /// <summary>Throws when <paramref name="actualFingerprint"/> differs from the profile's.</summary>
    /// <exception cref="ModelFingerprintMismatchException">The profile was calibrated for another model.</exception>
    public static void EnsureMatches(UncompProfile profile, string actualFingerprint, string? profileSource = null, string? modelSource = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (!string.Equals(profile.Model.Fingerprint, actualFingerprint, StringComparison.Ordinal))
        {
            throw new ModelFingerprintMismatchException(profile.Model.Fingerprint, actualFingerprint, profileSource ?? profile.Name, modelSource ?? "the loaded model");
        }
    }
}
