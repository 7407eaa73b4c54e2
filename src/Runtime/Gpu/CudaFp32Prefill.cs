using UNComp.Runtime.Cuda;

namespace UNComp.Runtime.Gpu;

/// <summary>
/// A full-cache prefill on the device in fp32 for calibration: activations fp32 from the embedding to each layer's q|k|v
/// projection (the CPU engine's precision; the serving engine rounds every product's input to bf16), weights bf16 as
/// loaded and widened as they are read (<c>forward_f32.cu</c>). Each layer's projection goes to an observer, as
/// <see cref="CudaEngine.PrefillObserver"/> does; nothing is cached and no logits are computed. All scratch is
/// allocated once for <c>maxTokens</c>.
/// </summary>
internal sealed class CudaFp32Prefill : IDisposable
{
    private readonly CudaModel _model;
    private readonly LlamaKernels _kernels;
    private readonly List<DeviceBuffer> _owned = [];
    private readonly DeviceTensor _x, _xn, _qkv, _q, _k, _v, _att, _gateUp, _mlp;
    private readonly DeviceBuffer _tokens, _positions;
    private readonly int _maxTokens;

    /// <summary>Allocates the scratch for prompts of up to <paramref name="maxTokens"/> tokens.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxTokens"/> is not positive.</exception>
    public CudaFp32Prefill(CudaModel model, LlamaKernels kernels, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(kernels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxTokens);
        _model = model;
        _kernels = kernels;
        _maxTokens = maxTokens;
        var c = model.Config;
        int qDim = c.NumAttentionHeads * c.HeadDim, kvDim = c.NumKeyValueHeads * c.HeadDim;
        try
        {
            _x = Scratch(maxTokens, c.HiddenSize, "fp32 x");
            _xn = Scratch(maxTokens, c.HiddenSize, "fp32 normed x");
            _qkv = Scratch(maxTokens, qDim + (2 * kvDim), "fp32 q|k|v");
            _q = Scratch(maxTokens, qDim, "fp32 q");
            _k = Scratch(maxTokens, kvDim, "fp32 k");
            _v = Scratch(maxTokens, kvDim, "fp32 v");
            _att = Scratch(maxTokens, qDim, "fp32 attention output");
            _gateUp = Scratch(maxTokens, 2 * c.IntermediateSize, "fp32 gate|up");
            _mlp = Scratch(maxTokens, c.IntermediateSize, "fp32 MLP activation");
            _tokens = Own(model.Device.Allocate(maxTokens * 4L, "prompt token ids (fp32 prefill)"));
            _positions = Own(model.Device.Allocate(maxTokens * 4L, "prompt positions (fp32 prefill)"));
            _positions.CopyFromHost<int>(Enumerable.Range(0, maxTokens).ToArray());
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Device bytes of the scratch buffers.</summary>
    public long ScratchBytes => _owned.Sum(b => b.Bytes);

    /// <summary>
    /// Runs the prompt through every layer up to the last one's q|k|v projection, calling <paramref name="observer"/>
    /// with each layer's fp32 projection (before bias and RoPE) while it is on the device.
    /// </summary>
    /// <exception cref="ArgumentException">The prompt is empty or longer than the scratch holds.</exception>
    /// <exception cref="OperationCanceledException">Cancelled (checked between layers).</exception>
    public void Run(ReadOnlySpan<int> tokens, Action<CudaPrefillLayer> observer, IProgress<int>? layersDone = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(observer);
        int n = tokens.Length;
        if (n == 0 || n > _maxTokens)
        {
            throw new ArgumentException($"The fp32 prefill takes 1 to {_maxTokens} tokens; got {n}.", nameof(tokens));
        }

        var c = _model.Config;
        float eps = (float)c.RmsNormEps, scale = 1f / MathF.Sqrt(c.HeadDim);
        _model.Device.MakeCurrent();
        _tokens.CopyFromHost(tokens);
        _kernels.Embed(_tokens.Address, _model.Embedding, _x, n);
        for (int layer = 0; layer < c.NumLayers; layer++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var w = _model.Layers[layer];
            _kernels.RmsNormF32(_x, w.AttentionNorm, _xn, n, eps);
            _kernels.LinearF32(_xn, w.Wqkv, _qkv, n, false);
            ulong bias = w.Bqkv?.Address ?? 0;
            observer(new CudaPrefillLayer(layer, n, _qkv.Take(n), bias, _positions.Address, _model.InverseFrequencies.Address));
            layersDone?.Report(layer + 1);
            if (layer + 1 == c.NumLayers)
            {
                break;   // the last layer's queries are all calibration needs
            }

            _kernels.QkvRopeF32(_qkv, bias, _positions.Address, _model.InverseFrequencies, _q, _k, _v, n, c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim);
            _kernels.CausalAttentionF32(_q, _k, _v, _att, n, c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim, scale);
            _kernels.LinearF32(_att, w.Wo, _x, n, true);
            if (w.Bo is { } bo)
            {
                _kernels.AddBias(_x, bo, n);
            }

            _kernels.RmsNormF32(_x, w.MlpNorm, _xn, n, eps);
            _kernels.LinearF32(_xn, w.WGateUp, _gateUp, n, false);
            _kernels.SwiGluF32(_gateUp, _mlp, n);
            _kernels.LinearF32(_mlp, w.WDown, _x, n, true);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var b in _owned)
        {
            b.Dispose();
        }

        _owned.Clear();
    }

    private DeviceTensor Scratch(int rows, int cols, string what) =>
        new(Own(_model.Device.Allocate((long)rows * cols * 4, $"the {what} buffer ({rows} × {cols})")), 0, DType.F32, rows, cols);

    private DeviceBuffer Own(DeviceBuffer buffer)
    {
        _owned.Add(buffer);
        return buffer;
    }
}
