using System.Globalization;
using System.Text;
using UNComp.Runtime.Models;

namespace UNComp.Runtime.Tests.TestSupport;

/// <summary>Options of a random tiny model written in HF layout into a temp directory.</summary>
internal sealed record TinyModelSpec
{
    public string Architecture { get; init; } = "LlamaForCausalLM";
    public int Layers { get; init; } = 2;
    public int Hidden { get; init; } = 32;
    public int Heads { get; init; } = 4;
    public int KvHeads { get; init; } = 2;
    public int HeadDim { get; init; } = 8;
    public int Intermediate { get; init; } = 48;
    public int Vocab { get; init; } = 40;
    public bool Tied { get; init; }
    public bool Llama3Scaling { get; init; }
    public bool RopeParametersShape { get; init; }
    public int? SlidingWindow { get; init; }
    public double RopeTheta { get; init; } = 10000;
    public string DType { get; init; } = "F32";
    public int Seed { get; init; } = 7;
    public bool WriteHeadDim { get; init; } = true;

    public int MaxPositionEmbeddings { get; init; } = 4096;

    /// <summary>A tensor whose element 5 is written as NaN (corrupt-checkpoint tests), or null.</summary>
    public string? NaNTensor { get; init; }
}

/// <summary>A random tiny model on disk, deleted on dispose.</summary>
internal sealed class TinyModel : IDisposable
{
    public TinyModel(TinyModelSpec spec)
    {
        Spec = spec;
        Directory = Path.Combine(Path.GetTempPath(), "uncomp-tiny-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        File.WriteAllText(Path.Combine(Directory, "config.json"), ConfigJson(spec));
        WriteWeights(spec, Path.Combine(Directory, "model.safetensors"));
    }

    public TinyModelSpec Spec { get; }

    public string Directory { get; }

    public LlamaModel Load() => LlamaModel.Load(Directory);

    public static string ConfigJson(TinyModelSpec s)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("{\n");
        sb.Append(c, $"  \"architectures\": [\"{s.Architecture}\"],\n");
        sb.Append(c, $"  \"num_hidden_layers\": {s.Layers},\n  \"hidden_size\": {s.Hidden},\n");
        sb.Append(c, $"  \"num_attention_heads\": {s.Heads},\n  \"num_key_value_heads\": {s.KvHeads},\n");
        if (s.WriteHeadDim)
        {
            sb.Append(c, $"  \"head_dim\": {s.HeadDim},\n");
        }

        sb.Append(c, $"  \"intermediate_size\": {s.Intermediate},\n  \"vocab_size\": {s.Vocab},\n");
        sb.Append(c, $"  \"rms_norm_eps\": 1e-05,\n  \"hidden_act\": \"silu\",\n  \"max_position_embeddings\": {s.MaxPositionEmbeddings},\n");
        sb.Append(c, $"  \"tie_word_embeddings\": {(s.Tied ? "true" : "false")},\n");
        sb.Append("  \"bos_token_id\": 1,\n  \"eos_token_id\": [2, 3],\n");
        if (s.SlidingWindow is int sw)
        {
            sb.Append(c, $"  \"sliding_window\": {sw},\n");
        }

        string scaling = s.Llama3Scaling
            ? "\"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 16"
            : string.Empty;
        if (s.RopeParametersShape)
        {
            string type = s.Llama3Scaling ? "llama3" : "default";
            sb.Append(c, $"  \"rope_parameters\": {{\"rope_type\": \"{type}\", \"rope_theta\": {s.RopeTheta.ToString(c)}{(s.Llama3Scaling ? ", " + scaling : "")}}}\n");
        }
        else
        {
            sb.Append(c, $"  \"rope_theta\": {s.RopeTheta.ToString(c)},\n");
            sb.Append(s.Llama3Scaling ? $"  \"rope_scaling\": {{\"rope_type\": \"llama3\", {scaling}}}\n" : "  \"rope_scaling\": null\n");
        }

        sb.Append("}\n");
        return sb.ToString();
    }

    private static void WriteWeights(TinyModelSpec s, string path)
    {
        var rng = new Random(s.Seed);
        float[] Rand(long n, float scale)
        {
            var a = new float[n];
            for (long i = 0; i < n; i++)
            {
                a[i] = (float)((rng.NextDouble() * 2) - 1) * scale;
            }

            return a;
        }

        float[] Norm(int n)
        {
            var a = new float[n];
            for (int i = 0; i < n; i++)
            {
                a[i] = 1f + ((float)(rng.NextDouble() - 0.5) * 0.2f);
            }

            return a;
        }

        bool qkvBias = s.Architecture == "Qwen2ForCausalLM";
        int q = s.Heads * s.HeadDim, kv = s.KvHeads * s.HeadDim, h = s.Hidden, ff = s.Intermediate;
        var w = new SafetensorsWriter();
        var embedding = Rand((long)s.Vocab * h, 1f);
        if (s.NaNTensor == "model.embed_tokens.weight")
        {
            embedding[5] = float.NaN;
        }

        w.Add("model.embed_tokens.weight", [s.Vocab, h], embedding, s.DType);
        w.Add("model.norm.weight", [h], Norm(h), s.DType);
        if (!s.Tied)
        {
            w.Add("lm_head.weight", [s.Vocab, h], Rand((long)s.Vocab * h, 0.3f), s.DType);
        }

        float ws = 0.5f / MathF.Sqrt(h);
        for (int l = 0; l < s.Layers; l++)
        {
            string p = $"model.layers.{l}.";
            w.Add(p + "input_layernorm.weight", [h], Norm(h), s.DType);
            w.Add(p + "post_attention_layernorm.weight", [h], Norm(h), s.DType);
            w.Add(p + "self_attn.q_proj.weight", [q, h], Rand((long)q * h, ws * 3), s.DType);
            w.Add(p + "self_attn.k_proj.weight", [kv, h], Rand((long)kv * h, ws * 3), s.DType);
            w.Add(p + "self_attn.v_proj.weight", [kv, h], Rand((long)kv * h, ws * 2), s.DType);
            w.Add(p + "self_attn.o_proj.weight", [h, q], Rand((long)h * q, ws), s.DType);
            if (qkvBias)
            {
                w.Add(p + "self_attn.q_proj.bias", [q], Rand(q, 0.3f), s.DType);
                w.Add(p + "self_attn.k_proj.bias", [kv], Rand(kv, 0.3f), s.DType);
                w.Add(p + "self_attn.v_proj.bias", [kv], Rand(kv, 0.3f), s.DType);
            }

            w.Add(p + "mlp.gate_proj.weight", [ff, h], Rand((long)ff * h, ws * 2), s.DType);
            w.Add(p + "mlp.up_proj.weight", [ff, h], Rand((long)ff * h, ws * 2), s.DType);
            w.Add(p + "mlp.down_proj.weight", [h, ff], Rand((long)h * ff, 0.5f / MathF.Sqrt(ff)), s.DType);
        }

        w.Save(path);
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, true);
        }
        catch (IOException)
        {
        }
    }
}
