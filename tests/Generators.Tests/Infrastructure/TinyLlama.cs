using System.Globalization;
using UNComp.Runtime.Models;
using UNComp.Runtime.Profiles;

namespace UNComp.Generators.Tests.Infrastructure;

/// <summary>
/// A small random Llama written to a temp folder (config.json + model.safetensors), for running generated code
/// end to end in milliseconds. Deleted on dispose.
/// </summary>
internal sealed class TinyLlama : IDisposable
{
    public const int Layers = 3, Hidden = 32, Heads = 4, KvHeads = 2, HeadDim = 8, Intermediate = 48, Vocab = 48;

    public TinyLlama(int seed = 11)
    {
        Directory = Path.Combine(Path.GetTempPath(), "uncomp-gen-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        File.WriteAllText(Path.Combine(Directory, "config.json"), string.Create(CultureInfo.InvariantCulture, $$"""
            {
              "architectures": ["LlamaForCausalLM"],
              "num_hidden_layers": {{Layers}}, "hidden_size": {{Hidden}}, "intermediate_size": {{Intermediate}},
              "num_attention_heads": {{Heads}}, "num_key_value_heads": {{KvHeads}}, "head_dim": {{HeadDim}},
              "vocab_size": {{Vocab}}, "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "max_position_embeddings": 256,
              "tie_word_embeddings": false, "bos_token_id": 1, "eos_token_id": 2
            }
            """));
        var random = new Random(seed);
        float[] Random(long n, float scale) => Enumerable.Range(0, (int)n).Select(_ => (float)((random.NextDouble() * 2) - 1) * scale).ToArray();
        float[] Ones(int n) => Enumerable.Repeat(1f, n).ToArray();
        int q = Heads * HeadDim, kv = KvHeads * HeadDim;
        var writer = new SafetensorsWriter();
        writer.Add("model.embed_tokens.weight", [Vocab, Hidden], Random(Vocab * Hidden, 1f));
        writer.Add("model.norm.weight", [Hidden], Ones(Hidden));
        writer.Add("lm_head.weight", [Vocab, Hidden], Random(Vocab * Hidden, 0.3f));
        for (int l = 0; l < Layers; l++)
        {
            string p = $"model.layers.{l}.";
            writer.Add(p + "input_layernorm.weight", [Hidden], Ones(Hidden));
            writer.Add(p + "post_attention_layernorm.weight", [Hidden], Ones(Hidden));
            writer.Add(p + "self_attn.q_proj.weight", [q, Hidden], Random(q * Hidden, 0.3f));
            writer.Add(p + "self_attn.k_proj.weight", [kv, Hidden], Random(kv * Hidden, 0.3f));
            writer.Add(p + "self_attn.v_proj.weight", [kv, Hidden], Random(kv * Hidden, 0.2f));
            writer.Add(p + "self_attn.o_proj.weight", [Hidden, q], Random(Hidden * q, 0.1f));
            writer.Add(p + "mlp.gate_proj.weight", [Intermediate, Hidden], Random(Intermediate * Hidden, 0.2f));
            writer.Add(p + "mlp.up_proj.weight", [Intermediate, Hidden], Random(Intermediate * Hidden, 0.2f));
            writer.Add(p + "mlp.down_proj.weight", [Hidden, Intermediate], Random(Hidden * Intermediate, 0.1f));
        }

        writer.Save(Path.Combine(Directory, "model.safetensors"));
    }

    public string Directory { get; }

    /// <summary>The fingerprint of docs/profile-format.md, computed by the runtime from the loaded model.</summary>
    public string Fingerprint()
    {
        using LlamaModel model = LlamaModel.Load(Directory);
        return ModelFingerprint.Compute(model);
    }

    /// <summary>
    /// A valid profile for this model: 2 groups, window 4, budgets 12/20 per unit pair (mean 16); kvHead (2 units per
    /// layer) or queryHead (4); decode fixed or grow; one stage, or with <paramref name="hiddenStates"/> two (layer 0
    /// keeps 64 tokens, layers 1-2 keep 24).
    /// </summary>
    public static string Profile(string fingerprint, string name = "TinyLlama", bool hiddenStates = false, string granularity = "kvHead", string decode = "fixed")
    {
        bool perQueryHead = granularity == "queryHead";
        string Row(bool swapped) => (swapped, perQueryHead) switch
        {
            (false, false) => "\"groups\": [0, 1], \"budgets\": [12, 20]",
            (true, false) => "\"groups\": [1, 0], \"budgets\": [20, 12]",
            (false, true) => "\"groups\": [0, 1, 0, 1], \"budgets\": [12, 20, 12, 20]",
            (true, true) => "\"groups\": [1, 0, 1, 0], \"budgets\": [20, 12, 20, 12]",
        };
        return $$"""
        {
          "format": "uncomp-profile/1",
          "name": "{{name}}",
          "model": {
            "architecture": "LlamaForCausalLM", "numLayers": {{Layers}}, "hiddenSize": {{Hidden}}, "numAttentionHeads": {{Heads}},
            "numKeyValueHeads": {{KvHeads}}, "headDim": {{HeadDim}}, "vocabSize": {{Vocab}}, "maxPositionEmbeddings": 256,
            "fingerprint": "{{fingerprint}}"
          },
          "calibration": { "samples": 2, "tokens": 64, "seed": 1, "source": "random", "matrix": "query", "postRope": true,
            "truncationK": 4, "elbow": false, "tool": "test", "createdUtc": "2026-11-22T09:00:00Z" },
          "compression": {
            "method": "uncomp", "granularity": "{{granularity}}", "window": 4, "poolKernel": 3, "meanBudget": 16, "groupCount": 2,
            "groupWeights": [0.75, 1.25], "decode": "{{decode}}",
            "hiddenStates": { "enabled": {{(hiddenStates ? "true" : "false")}}, "epsilon": 1.0, "minKeep": 24, "maxTokens": 64, "keepWindow": true }
          },
          "stages": {{(hiddenStates
              ? """[ { "firstLayer": 0, "lastLayer": 0, "keepTokens": 64 }, { "firstLayer": 1, "lastLayer": 2, "keepTokens": 24 } ]"""
              : """[ { "firstLayer": 0, "lastLayer": 2, "keepTokens": 64 } ]""")}},
          "layers": [
            { "layer": 0, "score": 3.0, "entropy": [0.5, 0.6, 0.4, 0.7], {{Row(false)}} },
            { "layer": 1, "score": 2.5, "entropy": [0.5, 0.6, 0.4, 0.7], {{Row(true)}} },
            { "layer": 2, "score": 2.0, "entropy": [0.5, 0.6, 0.4, 0.7], {{Row(false)}} }
          ]
        }
        """;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
