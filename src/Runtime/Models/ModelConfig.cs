using System.Text.Json;

namespace UNComp.Runtime.Models;

/// <summary>
/// The architecture hyper-parameters of a Llama-family model, read from a Hugging Face <c>config.json</c>.
/// Both config shapes are understood: the long-standing <c>rope_theta</c> + <c>rope_scaling</c> keys and the
/// <c>rope_parameters</c> object written by transformers 5.
/// </summary>
public sealed class ModelConfig
{
    /// <summary>The architectures this runtime executes.</summary>
    public static IReadOnlyList<string> SupportedArchitectures { get; } =
        ["LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM"];

    /// <summary>First entry of <c>architectures</c>, one of <see cref="SupportedArchitectures"/>.</summary>
    public required string Architecture { get; init; }

    /// <summary><c>num_hidden_layers</c>.</summary>
    public required int NumLayers { get; init; }

    /// <summary><c>hidden_size</c>.</summary>
    public required int HiddenSize { get; init; }

    /// <summary><c>num_attention_heads</c> (query heads).</summary>
    public required int NumAttentionHeads { get; init; }

    /// <summary><c>num_key_value_heads</c> (defaults to the query head count).</summary>
    public required int NumKeyValueHeads { get; init; }

    /// <summary><c>head_dim</c>, or <c>hidden_size / num_attention_heads</c> when absent.</summary>
    public required int HeadDim { get; init; }

    /// <summary><c>intermediate_size</c> of the SwiGLU MLP.</summary>
    public required int IntermediateSize { get; init; }

    /// <summary><c>vocab_size</c>.</summary>
    public required int VocabSize { get; init; }

    /// <summary><c>rms_norm_eps</c> (default 1e-6).</summary>
    public double RmsNormEps { get; init; } = 1e-6;

    /// <summary>RoPE base (<c>rope_theta</c>, default 10000).</summary>
    public double RopeTheta { get; init; } = 10000;

    /// <summary>Llama-3 frequency scaling, or null for plain RoPE.</summary>
    public RopeScaling? RopeScaling { get; init; }

    /// <summary><c>max_position_embeddings</c>.</summary>
    public int MaxPositionEmbeddings { get; init; } = 2048;

    /// <summary>When true the LM head reuses the token embedding matrix.</summary>
    public bool TieWordEmbeddings { get; init; }

    /// <summary>q/k/v projections carry a bias (always for Qwen2; <c>attention_bias</c> for Llama).</summary>
    public bool AttentionBias { get; init; }

    /// <summary>The output projection carries a bias (Llama with <c>attention_bias: true</c>; not Qwen2).</summary>
    public bool AttentionOutputBias { get; init; }

    /// <summary>Mistral-style sliding attention window, or null when attention is global.</summary>
    public int? SlidingWindow { get; init; }

    /// <summary><c>bos_token_id</c>, or null.</summary>
    public int? BosTokenId { get; init; }

    /// <summary><c>eos_token_id</c> (an int or an array in the file).</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary>
    /// The weights' dtype as a safetensors dtype name (<c>F32</c>, <c>F16</c>, <c>BF16</c>, …) from <c>torch_dtype</c>
    /// (or transformers 5's <c>dtype</c>); null when the config names none. Enters the fingerprint of a model whose
    /// safetensors are not at hand.
    /// </summary>
    public string? WeightDType { get; init; }

    /// <summary>Query heads per KV head (GQA group size).</summary>
    public int QueryHeadsPerKvHead => NumAttentionHeads / NumKeyValueHeads;

    /// <summary>Reads and validates a <c>config.json</c>.</summary>
    /// <param name="path">The config file, or a model directory containing <c>config.json</c>.</param>
    /// <exception cref="ModelFormatException">The file is missing, malformed or unsupported.</exception>
    public static ModelConfig Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
        {
            path = System.IO.Path.Combine(path, "config.json");
        }

        using var doc = JsonConfigReader.Parse(path);
        return Parse(new JsonConfigReader(doc.RootElement, path));
    }

    /// <summary>Parses and validates the UTF-8 text of a <c>config.json</c>; <paramref name="sourceName"/> names it in errors.</summary>
    /// <exception cref="ModelFormatException">The JSON is malformed or describes an unsupported model.</exception>
    public static ModelConfig Parse(byte[] utf8Json, string sourceName = "config.json")
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        using var doc = JsonConfigReader.Parse(utf8Json, sourceName);
        return Parse(new JsonConfigReader(doc.RootElement, sourceName));
    }

    private static ModelConfig Parse(JsonConfigReader r)
    {
        string architecture = ReadArchitecture(r);
        bool isQwen2 = architecture == "Qwen2ForCausalLM";

        string? act = r.OptionalString("hidden_act");
        if (act is not null && act != "silu")
        {
            throw r.Error("hidden_act", $"\"{act}\" is not supported; this runtime implements the SwiGLU MLP (\"silu\").");
        }

        if (r.OptionalBool("mlp_bias", false))
        {
            throw r.Error("mlp_bias", "true is not supported; only bias-free MLP projections are implemented.");
        }

        int layers = r.RequiredPositiveInt("num_hidden_layers");
        int hidden = r.RequiredPositiveInt("hidden_size");
        int heads = r.RequiredPositiveInt("num_attention_heads");
        int kvHeads = r.OptionalPositiveInt("num_key_value_heads", heads);
        if (heads % kvHeads != 0)
        {
            throw r.Error("num_key_value_heads", $"{kvHeads} does not divide num_attention_heads ({heads}).");
        }

        int headDim;
        if (r.Has("head_dim"))
        {
            headDim = r.OptionalPositiveInt("head_dim", 0);
        }
        else
        {
            if (hidden % heads != 0)
            {
                throw r.Error("head_dim", $"missing, and hidden_size ({hidden}) is not divisible by num_attention_heads ({heads}); add head_dim.");
            }

            headDim = hidden / heads;
        }

        if (headDim % 2 != 0)
        {
            throw r.Error("head_dim", $"{headDim} is odd; rotary embeddings need an even head dimension.");
        }

        (double theta, RopeScaling? scaling) = ReadRope(r);
        int? sliding = null;
        bool slidingEnabled = !isQwen2 || r.OptionalBool("use_sliding_window", false);
        if (slidingEnabled && r.Has("sliding_window"))
        {
            sliding = r.OptionalPositiveInt("sliding_window", 0);
        }

        int[] bos = r.OptionalIntOrIntArray("bos_token_id");
        bool attentionBias = r.OptionalBool("attention_bias", false);
        return new ModelConfig
        {
            Architecture = architecture,
            NumLayers = layers,
            HiddenSize = hidden,
            NumAttentionHeads = heads,
            NumKeyValueHeads = kvHeads,
            HeadDim = headDim,
            IntermediateSize = r.RequiredPositiveInt("intermediate_size"),
            VocabSize = r.RequiredPositiveInt("vocab_size"),
            RmsNormEps = r.OptionalPositiveDouble("rms_norm_eps", 1e-6),
            RopeTheta = theta,
            RopeScaling = scaling,
            MaxPositionEmbeddings = r.OptionalPositiveInt("max_position_embeddings", 2048),
            TieWordEmbeddings = r.OptionalBool("tie_word_embeddings", false),
            AttentionBias = isQwen2 || attentionBias,
            AttentionOutputBias = !isQwen2 && attentionBias,
            SlidingWindow = sliding,
            BosTokenId = bos.Length > 0 ? bos[0] : null,
            EosTokenIds = r.OptionalIntOrIntArray("eos_token_id"),
            WeightDType = ReadDType(r),
        };
    }

    private static string? ReadDType(JsonConfigReader r) => (r.OptionalString("torch_dtype") ?? r.OptionalString("dtype")) switch
    {
        null => null,
        "bfloat16" => "BF16",
        "float16" => "F16",
        "float32" => "F32",
        string other => other.ToUpperInvariant(),
    };

    private static string ReadArchitecture(JsonConfigReader r)
    {
        string supported = string.Join(", ", SupportedArchitectures);
        if (!r.TryGet("architectures", out var archs) || archs.ValueKind != JsonValueKind.Array || archs.GetArrayLength() == 0)
        {
            throw r.Error("architectures", $"missing or empty; expected an array naming one of: {supported}.");
        }

        var first = archs[0];
        string? name = first.ValueKind == JsonValueKind.String ? first.GetString() : null;
        if (name is null || !SupportedArchitectures.Contains(name))
        {
            throw r.Error("architectures", $"{JsonConfigReader.Show(first)} is not supported; supported architectures: {supported}.");
        }

        return name;
    }

    private static (double Theta, RopeScaling? Scaling) ReadRope(JsonConfigReader r)
    {
        double theta = r.OptionalPositiveDouble("rope_theta", 10000);
        RopeScaling? scaling = null;
        if (r.TryGet("rope_scaling", out var rs))
        {
            scaling = ReadScaling(r, "rope_scaling", rs, out _);
        }

        if (r.TryGet("rope_parameters", out var rp))
        {
            // transformers 5: {"rope_type": ..., "rope_theta": ..., "factor": ...}; it wins over the legacy keys.
            scaling = ReadScaling(r, "rope_parameters", rp, out double? t);
            theta = t ?? theta;
        }

        return (theta, scaling);
    }

    private static RopeScaling? ReadScaling(JsonConfigReader parent, string field, JsonElement element, out double? theta)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw parent.Error(field, $"expected an object or null, found {JsonConfigReader.Show(element)}.");
        }

        var r = parent.Child(field, element);
        theta = r.Has("rope_theta") ? r.OptionalPositiveDouble("rope_theta", 10000) : null;
        string type = r.OptionalString("rope_type") ?? r.OptionalString("type") ?? "default";
        switch (type)
        {
            case "default":
                return null;
            case "llama3":
                if (!r.Has("factor"))
                {
                    throw r.Error("factor", "missing; llama3 rope scaling needs factor, low_freq_factor, high_freq_factor and original_max_position_embeddings.");
                }

                var s = new RopeScaling(
                    r.OptionalPositiveDouble("factor", 1),
                    r.OptionalPositiveDouble("low_freq_factor", 1),
                    r.OptionalPositiveDouble("high_freq_factor", 4),
                    r.OptionalPositiveInt("original_max_position_embeddings", 8192));
                if (s.HighFreqFactor <= s.LowFreqFactor)
                {
                    throw r.Error("high_freq_factor", $"{s.HighFreqFactor} must be greater than low_freq_factor ({s.LowFreqFactor}).");
                }

                return s;
            default:
                throw r.Error("rope_type", $"\"{type}\" is not supported; supported: default, llama3.");
        }
    }
}
