using System.Runtime.InteropServices;
using UNComp.Runtime.Compute;
using UNComp.Runtime.Cuda;
using UNComp.Runtime.Models;

namespace UNComp.Runtime.Gpu;

/// <summary>
/// A Llama-family model (Llama 2/3, Mistral, Qwen2) with its weights on a GPU: one device allocation, bf16
/// projections uploaded straight from the memory-mapped safetensors shards (F32/F16 weights are converted to bf16
/// in bounded host chunks; the whole model never sits in host memory), fp32 norms and biases.
/// </summary>
public sealed unsafe class CudaModel : IDisposable
{
    private const int Alignment = 256;
    private const int ConvertChunk = 1 << 22; // elements per host conversion chunk

    private readonly DeviceBuffer _weights;

    private CudaModel(CudaDevice device, string directory, ModelConfig config, GenerationConfig generation, IReadOnlyList<TensorInfo> tensors,
        DeviceBuffer weights, DeviceTensor embedding, DeviceTensor lmHead, DeviceTensor finalNorm, DeviceTensor invFreq, CudaLayerWeights[] layers)
    {
        Device = device;
        Directory = directory;
        Config = config;
        GenerationConfig = generation;
        Tensors = tensors;
        _weights = weights;
        Embedding = embedding;
        LmHead = lmHead;
        FinalNorm = finalNorm;
        InverseFrequencies = invFreq;
        Layers = layers;
    }

    /// <summary>The device holding the weights.</summary>
    public CudaDevice Device { get; }

    /// <summary>The model directory.</summary>
    public string Directory { get; }

    /// <summary>Architecture hyper-parameters.</summary>
    public ModelConfig Config { get; }

    /// <summary>Generation defaults (eos ids).</summary>
    public GenerationConfig GenerationConfig { get; }

    /// <summary>Every tensor of the checkpoint, sorted by name (the profile fingerprint's input).</summary>
    public IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary><c>embed_tokens</c>, bf16 [vocab, hidden].</summary>
    public DeviceTensor Embedding { get; }

    /// <summary><c>lm_head</c> (or the embedding when tied), bf16 [vocab, hidden].</summary>
    public DeviceTensor LmHead { get; }

    /// <summary><c>model.norm.weight</c>, fp32 [1, hidden].</summary>
    public DeviceTensor FinalNorm { get; }

    /// <summary>RoPE inverse frequencies (rope scaling applied), fp32 [1, headDim/2].</summary>
    public DeviceTensor InverseFrequencies { get; }

    /// <summary>Per-layer weights.</summary>
    public IReadOnlyList<CudaLayerWeights> Layers { get; }

    /// <summary>Device bytes of all weights.</summary>
    public long WeightBytes => _weights.Bytes;

    /// <summary>Bytes a decode step reads at least once: every weight except the embedding table (one row of it is read).</summary>
    public long DecodeWeightBytes => WeightBytes - (Config.TieWordEmbeddings ? 0 : Embedding.Bytes);

    /// <summary>Loads a model directory onto <paramref name="device"/>.</summary>
    /// <param name="device">The GPU.</param>
    /// <param name="directory">Hugging Face model directory (config.json, safetensors, single or sharded).</param>
    /// <param name="progress">Receives the fraction of weight bytes uploaded.</param>
    /// <param name="cancellationToken">Checked between tensors.</param>
    /// <param name="options">Load options; by default every weight is scanned for NaN/Inf on the host before upload.</param>
    /// <exception cref="ModelFormatException">A file is missing, malformed, does not match config.json, or holds a NaN/Inf weight.</exception>
    /// <exception cref="Cuda.Interop.CudaException">The weights do not fit the device (the message says how much is free).</exception>
    public static CudaModel Load(CudaDevice device, string directory, IProgress<double>? progress = null, ModelLoadOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(directory);
        if (!System.IO.Directory.Exists(directory))
        {
            throw ModelFormatException.For(directory, "model directory not found.");
        }

        var config = ModelConfig.Load(Path.Combine(directory, "config.json"));
        var generation = GenerationConfig.LoadFor(directory, config);
        using var archive = SafetensorsArchive.Open(directory);
        var plan = new UploadPlan(config);
        var weights = device.Allocate(plan.Bytes, $"the weights of {Path.GetFileName(Path.GetFullPath(directory))}");
        try
        {
            var uploader = new Uploader(weights, archive, plan.Bytes, progress, (options ?? ModelLoadOptions.Default).CheckFiniteWeights, cancellationToken);
            long h = config.HiddenSize, vocab = config.VocabSize;
            var embedding = uploader.Bf16(plan.Next(vocab * h, 2), (int)vocab, (int)h, ("model.embed_tokens.weight", vocab));
            var lmHead = config.TieWordEmbeddings ? embedding : uploader.Bf16(plan.Next(vocab * h, 2), (int)vocab, (int)h, ("lm_head.weight", vocab));
            var finalNorm = uploader.F32(plan.Next(h, 4), (int)h, "model.norm.weight");
            var invFreqHost = RotaryEmbedding.InverseFrequencies(config);
            var invFreq = new DeviceTensor(weights, plan.Next(invFreqHost.Length, 4), DType.F32, 1, invFreqHost.Length);
            weights.CopyFromHost<float>(invFreqHost, invFreq.Offset);
            var layers = new CudaLayerWeights[config.NumLayers];
            for (int i = 0; i < layers.Length; i++)
            {
                layers[i] = LoadLayer(uploader, plan, config, i);
            }

            return new CudaModel(device, Path.GetFullPath(directory), config, generation, archive.Tensors, weights, embedding, lmHead, finalNorm, invFreq, layers);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    private static CudaLayerWeights LoadLayer(Uploader up, UploadPlan plan, ModelConfig c, int i)
    {
        long h = c.HiddenSize, q = (long)c.NumAttentionHeads * c.HeadDim, kv = (long)c.NumKeyValueHeads * c.HeadDim, ff = c.IntermediateSize;
        string p = $"model.layers.{i}.";
        return new CudaLayerWeights
        {
            AttentionNorm = up.F32(plan.Next(h, 4), (int)h, p + "input_layernorm.weight"),
            Wqkv = up.Bf16(plan.Next((q + 2 * kv) * h, 2), (int)(q + (2 * kv)), (int)h,
                (p + "self_attn.q_proj.weight", q), (p + "self_attn.k_proj.weight", kv), (p + "self_attn.v_proj.weight", kv)),
            Bqkv = c.AttentionBias
                ? up.F32(plan.Next(q + (2 * kv), 4), (int)(q + (2 * kv)), p + "self_attn.q_proj.bias", p + "self_attn.k_proj.bias", p + "self_attn.v_proj.bias")
                : null,
            Wo = up.Bf16(plan.Next(h * q, 2), (int)h, (int)q, (p + "self_attn.o_proj.weight", h)),
            Bo = c.AttentionOutputBias ? up.F32(plan.Next(h, 4), (int)h, p + "self_attn.o_proj.bias") : null,
            MlpNorm = up.F32(plan.Next(h, 4), (int)h, p + "post_attention_layernorm.weight"),
            WGateUp = up.Bf16(plan.Next(2 * ff * h, 2), (int)(2 * ff), (int)h, (p + "mlp.gate_proj.weight", ff), (p + "mlp.up_proj.weight", ff)),
            WDown = up.Bf16(plan.Next(h * ff, 2), (int)h, (int)ff, (p + "mlp.down_proj.weight", h)),
        };
    }

    /// <inheritdoc />
    public void Dispose() => _weights.Dispose();

    /// <summary>Byte offsets of every weight in the single device allocation (computed twice: once to size it, once to fill it).</summary>
    private sealed class UploadPlan
    {
        private long _cursor;

        public UploadPlan(ModelConfig c)
        {
            long h = c.HiddenSize, vocab = c.VocabSize, q = (long)c.NumAttentionHeads * c.HeadDim, kv = (long)c.NumKeyValueHeads * c.HeadDim, ff = c.IntermediateSize;
            Next(vocab * h, 2);
            if (!c.TieWordEmbeddings)
            {
                Next(vocab * h, 2);
            }

            Next(h, 4);
            Next(c.HeadDim / 2, 4);
            for (int i = 0; i < c.NumLayers; i++)
            {
                Next(h, 4);
                Next((q + (2 * kv)) * h, 2);
                if (c.AttentionBias)
                {
                    Next(q + (2 * kv), 4);
                }

                Next(h * q, 2);
                if (c.AttentionOutputBias)
                {
                    Next(h, 4);
                }

                Next(h, 4);
                Next(2 * ff * h, 2);
                Next(h * ff, 2);
            }

            Bytes = _cursor;
            _cursor = 0;
        }

        public long Bytes { get; }

        public long Next(long elements, int elementSize)
        {
            long offset = _cursor;
            _cursor += ((elements * elementSize) + Alignment - 1) / Alignment * Alignment;
            return offset;
        }
    }

    /// <summary>Copies tensors from the memory-mapped shards to the device, converting dtypes in bounded chunks.</summary>
    private sealed class Uploader(DeviceBuffer weights, SafetensorsArchive archive, long total, IProgress<double>? progress, bool checkFinite, CancellationToken token)
    {
        private readonly ushort[] _bf16 = new ushort[ConvertChunk];
        private readonly float[] _f32 = new float[ConvertChunk];
        private long _done;

        /// <summary>Uploads row blocks (name, rows) one after another as one bf16 [rows, cols] tensor.</summary>
        public DeviceTensor Bf16(long offset, int rows, int cols, params (string Name, long Rows)[] parts)
        {
            long at = offset;
            foreach (var (name, partRows) in parts)
            {
                token.ThrowIfCancellationRequested();
                var bytes = archive.GetWeightBytes(name, out var info, partRows, cols);
                if (info.DType == "BF16")
                {
                    var bits = MemoryMarshal.Cast<byte, ushort>(bytes);
                    int bad = checkFinite ? NonFiniteScan.IndexOfNonFinite(bits, bf16: true) : -1;
                    if (bad >= 0)
                    {
                        throw NonFinite(info, bad, Bf16Convert.ToSingle(bits[bad]));
                    }

                    Copy(bytes, at);
                }
                else
                {
                    for (long e = 0; e < info.ElementCount; e += ConvertChunk)
                    {
                        int n = (int)Math.Min(ConvertChunk, info.ElementCount - e);
                        int size = info.DType == "F32" ? 4 : 2;
                        Models.SafetensorsFile.ConvertToSingle(info.DType, bytes.Slice((int)(e * size), n * size), _f32.AsSpan(0, n));
                        int bad = checkFinite ? NonFiniteScan.IndexOfNonFinite(_f32.AsSpan(0, n)) : -1;
                        if (bad >= 0)
                        {
                            throw NonFinite(info, e + bad, _f32[bad]);
                        }

                        Bf16Convert.FromSingle(_f32.AsSpan(0, n), _bf16.AsSpan(0, n));
                        Copy(MemoryMarshal.AsBytes(_bf16.AsSpan(0, n)), at + (e * 2));
                    }
                }

                at += info.ElementCount * 2;
                Report(info.ElementCount * 2);
            }

            return new DeviceTensor(weights, offset, DType.BF16, rows, cols);
        }

        /// <summary>Uploads vectors one after another as one fp32 [1, length] tensor.</summary>
        public DeviceTensor F32(long offset, int length, params string[] names)
        {
            long at = offset;
            foreach (string name in names)
            {
                var bytes = archive.GetWeightBytes(name, out var info);
                if (info.Rank != 1)
                {
                    throw ModelFormatException.For(info.File, $"tensor '{name}': expected a vector, got shape [{string.Join(", ", info.Shape)}].");
                }

                var values = new float[info.ElementCount];
                Models.SafetensorsFile.ConvertToSingle(info.DType, bytes, values);
                int bad = checkFinite ? NonFiniteScan.IndexOfNonFinite(values) : -1;
                if (bad >= 0)
                {
                    throw NonFinite(info, bad, values[bad]);
                }

                Copy(MemoryMarshal.AsBytes(values.AsSpan()), at);
                at += values.Length * 4L;
            }

            if (at - offset != length * 4L)
            {
                throw ModelFormatException.For(archive.Files[0].Path, $"tensors {string.Join(", ", names)} hold {(at - offset) / 4} values; config.json implies {length}.");
            }

            return new DeviceTensor(weights, offset, DType.F32, 1, length);
        }

        private void Copy(ReadOnlySpan<byte> bytes, long offset) => weights.CopyFromHost(bytes, offset);

        private void Report(long bytes)
        {
            _done += bytes;
            progress?.Report(Math.Min(1.0, _done / (double)total));
        }

        /// <summary>The error for a non-finite weight at element <paramref name="index"/> of a tensor.</summary>
        private static ModelFormatException NonFinite(TensorInfo info, long index, float value)
        {
            long cols = info.Rank > 1 ? info.Dim(info.Rank - 1) : info.ElementCount;
            string at = info.Rank > 1 ? $"row {index / cols}, column {index % cols}" : $"element {index}";
            return ModelFormatException.For(info.File,
                $"tensor '{info.Name}': {at} is {NonFiniteScan.Describe(value)}; the weights are corrupt (re-download or re-export the checkpoint). "
                + "Load with ModelLoadOptions { CheckFiniteWeights = false } only to inspect such a file.");
        }
    }
}
