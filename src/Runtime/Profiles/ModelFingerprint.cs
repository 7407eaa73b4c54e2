using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using UNComp.Runtime.Models;

namespace UNComp.Runtime.Profiles;

/// <summary>
/// The model fingerprint of docs/profile-format.md: <c>sha256:</c> + hex SHA-256 of a text listing the dimensions
/// and every tensor's name, dtype and shape (sorted by name, ordinal). It identifies shape and weight index, not
/// weight values.
/// </summary>
public static partial class ModelFingerprint
{
    /// <summary>The exact text that is hashed, <c>\n</c> after every line.</summary>
    public static string CanonicalText(ModelConfig config, IEnumerable<TensorDescriptor> tensors)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tensors);
        var sb = new StringBuilder();
        sb.Append("arch=").Append(config.Architecture).Append('\n');
        sb.Append(CultureInfo.InvariantCulture, $"layers={config.NumLayers}\n");
        sb.Append(CultureInfo.InvariantCulture, $"hidden={config.HiddenSize}\n");
        sb.Append(CultureInfo.InvariantCulture, $"heads={config.NumAttentionHeads}\n");
        sb.Append(CultureInfo.InvariantCulture, $"kv_heads={config.NumKeyValueHeads}\n");
        sb.Append(CultureInfo.InvariantCulture, $"head_dim={config.HeadDim}\n");
        sb.Append(CultureInfo.InvariantCulture, $"vocab={config.VocabSize}\n");
        foreach (var t in tensors.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            sb.Append(t.Name).Append('|').Append(t.DType).Append('|')
              .Append(string.Join(",", t.Shape.Select(d => d.ToString(CultureInfo.InvariantCulture)))).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary><c>sha256:</c> + 64 lowercase hex digits.</summary>
    public static string Compute(ModelConfig config, IEnumerable<TensorDescriptor> tensors)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(CanonicalText(config, tensors)));
        return "sha256:" + Convert.ToHexStringLower(bytes);
    }

    /// <summary>
    /// The tensors of a standard Hugging Face Llama-family checkpoint of this config, all of its weight dtype (F32
    /// when it names none): q/k/v/o, gate/up/down, two norms per layer, embeddings, final norm, lm_head unless tied.
    /// Used where the real weight index is not at hand (importing published calibration data); a model loaded later
    /// is checked against its real tensors.
    /// </summary>
    public static IReadOnlyList<TensorDescriptor> StandardLlamaTensors(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        string dtype = config.WeightDType ?? "F32";
        long intermediateSize = config.IntermediateSize;
        long h = config.HiddenSize, q = (long)config.NumAttentionHeads * config.HeadDim, kv = (long)config.NumKeyValueHeads * config.HeadDim;
        var list = new List<TensorDescriptor>
        {
            new("model.embed_tokens.weight", dtype, [config.VocabSize, h]),
            new("model.norm.weight", dtype, [h]),
        };
        if (!config.TieWordEmbeddings)
        {
            list.Add(new("lm_head.weight", dtype, [config.VocabSize, h]));
        }

        for (int l = 0; l < config.NumLayers; l++)
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
