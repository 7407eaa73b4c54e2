using System.Diagnostics;
using UNComp.Runtime.Compression.Methods;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Gpu;

namespace UNComp.Runtime.Evaluation;

/// <summary>
/// Runs one prompt under one method plan on the GPU: an engine per call, sized exactly for the plan's layout and the
/// prompt (the arena is the plan; the selection runs on the device), sharing one set of compiled kernels and one
/// cuBLASLt handle. Greedy choices use the same argmax and stopping rules as the CPU runner.
/// </summary>
internal sealed class CudaPromptRunner : IPromptRunner
{
    private readonly CudaModel _model;
    private readonly ITokenCodec _codec;
    private readonly CudaEngineShared _shared;
    private readonly float[] _logits;
    private readonly int[] _eos;

    public CudaPromptRunner(CudaModel model, ITokenCodec codec)
    {
        _model = model;
        _codec = codec;
        _model.Device.MakeCurrent();
        _shared = new CudaEngineShared(model.Device);
        _logits = new float[model.Config.VocabSize];
        _eos = [.. model.GenerationConfig.EosTokenIds];
    }

    public GreedyResult Greedy(int[] prompt, CompressionMethodPlan plan, int maxNew, bool captureKept, CancellationToken ct)
    {
        using var engine = CreateEngine(prompt, plan);
        var sw = Stopwatch.StartNew();
        engine.Prefill(0, prompt, _logits, null, null, ct);
        double prefillMs = sw.Elapsed.TotalMilliseconds;
        int[][][]? kept = captureKept ? Kept(engine) : null;
        string text = PromptRunner.GreedyText(_logits, maxNew, _eos, _codec, token => engine.Decode([0], [token], _logits));
        return new GreedyResult(text, prefillMs, kept);
    }

    public float[][] TeacherForced(int[] prompt, int[] reference, CompressionMethodPlan plan, CancellationToken ct)
    {
        using var engine = CreateEngine(prompt, plan);
        engine.Prefill(0, prompt, _logits, null, null, ct);
        var result = new float[reference.Length][];
        for (int i = 0; i < reference.Length; i++)
        {
            result[i] = PromptRunner.LogSoftmax(_logits);
            if (i + 1 < reference.Length)
            {
                engine.Decode([0], [reference[i]], _logits);
            }
        }

        return result;
    }

    private CudaEngine CreateEngine(int[] prompt, CompressionMethodPlan plan)
    {
        // Eager decode: an engine lives for one prompt, so capturing graphs would cost more than it saves.
        var options = new CudaEngineOptions { MaxPrefillTokens = prompt.Length, UseCudaGraphs = false }.With(plan);
        return new CudaEngine(_model, plan.Budgets.ToLayout(), options, _shared);
    }

    private static int[][][] Kept(CudaEngine engine)
    {
        var layout = engine.Arena.Layout;
        var result = new int[layout.Layers][][];
        for (int l = 0; l < layout.Layers; l++)
        {
            result[l] = new int[layout.UnitsPerLayer][];
            for (int u = 0; u < layout.UnitsPerLayer; u++)
            {
                result[l][u] = engine.ReadKeptPositions(0, l, u);
            }
        }

        return result;
    }

    public void Dispose() => _shared.Dispose();
}
