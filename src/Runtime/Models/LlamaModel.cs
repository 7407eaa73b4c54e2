namespace UNComp.Runtime.Models;

/// <summary>
/// A Llama-family model (Llama 2/3, Mistral, Qwen2) loaded from a Hugging Face directory: <c>config.json</c>,
/// optional <c>generation_config.json</c>, and safetensors weights converted once to fp32.
/// </summary>
public sealed class LlamaModel : IDisposable
{
    private LlamaModel(string directory, ModelConfig config, GenerationConfig generation, IReadOnlyList<TensorInfo> tensors,
        float[] embedding, float[] finalNorm, float[] lmHead, LlamaLayerWeights[] layers)
    {
        Directory = directory;
        Config = config;
        GenerationConfig = generation;
        Tensors = tensors;
        Embedding = embedding;
        FinalNorm = finalNorm;
        LmHead = lmHead;
        Layers = layers;
    }

    /// <summary>The model directory.</summary>
    public string Directory { get; }

    /// <summary>Architecture hyper-parameters.</summary>
    public ModelConfig Config { get; }

    /// <summary>Generation defaults (eos ids).</summary>
    public GenerationConfig GenerationConfig { get; }

    /// <summary>Every tensor of the weights, sorted by name: the input of the profile fingerprint.</summary>
    public IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary><c>model.embed_tokens.weight</c> [vocab, hidden].</summary>
    public float[] Embedding { get; }

    /// <summary><c>model.norm.weight</c> [hidden].</summary>
    public float[] FinalNorm { get; }

    /// <summary><c>lm_head.weight</c> [vocab, hidden], the same array as <see cref="Embedding"/> when tied.</summary>
    public float[] LmHead { get; }

    /// <summary>Per-layer weights.</summary>
    public IReadOnlyList<LlamaLayerWeights> Layers { get; }

    /// <summary>Bytes of the fp32 weights held in memory.</summary>
    public long WeightBytes
    {
        get
        {
            long n = Embedding.Length + FinalNorm.Length + (ReferenceEquals(LmHead, Embedding) ? 0 : LmHead.Length);
            foreach (var l in Layers)
            {
                n += l.AttentionNorm.Length + l.Wq.Length + l.Wk.Length + l.Wv.Length + l.Wo.Length + l.MlpNorm.Length
                    + l.WGate.Length + l.WUp.Length + l.WDown.Length
                    + (l.Bq?.Length ?? 0) + (l.Bk?.Length ?? 0) + (l.Bv?.Length ?? 0) + (l.Bo?.Length ?? 0);
            }

            return n * sizeof(float);
        }
    }

    /// <summary>Loads a model directory with <see cref="ModelLoadOptions.Default"/> (weights scanned for NaN/Inf).</summary>
    /// <exception cref="ModelFormatException">A file is missing, malformed, does not match config.json, or a weight is not finite.</exception>
    public static LlamaModel Load(string directory, CancellationToken cancellationToken = default) =>
        Load(directory, ModelLoadOptions.Default, cancellationToken);

    /// <summary>Loads a model directory.</summary>
    /// <exception cref="ModelFormatException">A file is missing, malformed, does not match config.json, or (when
    /// <see cref="ModelLoadOptions.CheckFiniteWeights"/>) a weight is NaN or infinite.</exception>
    public static LlamaModel Load(string directory, ModelLoadOptions loadOptions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(loadOptions);
        if (!System.IO.Directory.Exists(directory))
        {
            throw ModelFormatException.For(directory, "model directory not found.");
        }

        var config = ModelConfig.Load(Path.Combine(directory, "config.json"));
        var generation = GenerationConfig.LoadFor(directory, config);
        using var archive = SafetensorsArchive.Open(directory);
        cancellationToken.ThrowIfCancellationRequested();
        long h = config.HiddenSize, vocab = config.VocabSize;
        bool check = loadOptions.CheckFiniteWeights;
        var embedding = Read(archive, check, "model.embed_tokens.weight", vocab, h);
        var finalNorm = Read(archive, check, "model.norm.weight", h);
        float[] lmHead = config.TieWordEmbeddings ? embedding : Read(archive, check, "lm_head.weight", vocab, h);

        var layers = new LlamaLayerWeights[config.NumLayers];
        var options = new ParallelOptions { CancellationToken = cancellationToken };
        try
        {
            Parallel.For(0, config.NumLayers, options, i => layers[i] = LoadLayer(archive, config, i, check));
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count > 0)
        {
            // Surface the first real error (e.g. a shape mismatch) instead of the parallel wrapper.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerExceptions[0]).Throw();
            throw;
        }

        return new LlamaModel(Path.GetFullPath(directory), config, generation, archive.Tensors, embedding, finalNorm, lmHead, layers);
    }

    private static float[] Read(SafetensorsArchive archive, bool checkFinite, string name, params ReadOnlySpan<long> shape)
    {
        float[] data = archive.ReadSingle(name, shape);
        if (checkFinite)
        {
            int bad = Compute.NonFiniteScan.IndexOfNonFinite(data);
            if (bad >= 0)
            {
                var info = archive.Find(name)!;
                long cols = info.Shape.Length > 1 ? info.Shape[^1] : data.Length;
                string at = info.Shape.Length > 1 ? $"row {bad / cols}, column {bad % cols}" : $"element {bad}";
                throw ModelFormatException.For(info.File,
                    $"tensor '{name}': {at} is {Compute.NonFiniteScan.Describe(data[bad])}; the weights are corrupt (re-download or re-export the checkpoint). "
                    + "Load with ModelLoadOptions { CheckFiniteWeights = false } only to inspect such a file.");
            }
        }

        return data;
    }

    private static LlamaLayerWeights LoadLayer(SafetensorsArchive archive, ModelConfig config, int i, bool check)
    {
        long h = config.HiddenSize, q = config.NumAttentionHeads * config.HeadDim, kv = config.NumKeyValueHeads * config.HeadDim;
        long ff = config.IntermediateSize;
        string p = $"model.layers.{i}.";
        return new LlamaLayerWeights
        {
            AttentionNorm = Read(archive, check, p + "input_layernorm.weight", h),
            Wq = Read(archive, check, p + "self_attn.q_proj.weight", q, h),
            Wk = Read(archive, check, p + "self_attn.k_proj.weight", kv, h),
            Wv = Read(archive, check, p + "self_attn.v_proj.weight", kv, h),
            Wo = Read(archive, check, p + "self_attn.o_proj.weight", h, q),
            Bq = config.AttentionBias ? Read(archive, check, p + "self_attn.q_proj.bias", q) : null,
            Bk = config.AttentionBias ? Read(archive, check, p + "self_attn.k_proj.bias", kv) : null,
            Bv = config.AttentionBias ? Read(archive, check, p + "self_attn.v_proj.bias", kv) : null,
            Bo = config.AttentionOutputBias ? Read(archive, check, p + "self_attn.o_proj.bias", h) : null,
            MlpNorm = Read(archive, check, p + "post_attention_layernorm.weight", h),
            WGate = Read(archive, check, p + "mlp.gate_proj.weight", ff, h),
            WUp = Read(archive, check, p + "mlp.up_proj.weight", ff, h),
            WDown = Read(archive, check, p + "mlp.down_proj.weight", h, ff),
        };
    }

    /// <inheritdoc />
    public void Dispose()
    {
        // Weights are managed arrays; the memory-mapped files were closed after conversion. Kept IDisposable so a
        // backend holding device copies can release them through the same pattern.
    }
}
