using System.Diagnostics;
using System.Numerics.Tensors;
using UNComp.Runtime.Compression;
using UNComp.Runtime.Compression.Methods;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Models;

namespace UNComp.Runtime.Evaluation;

/// <summary>
/// Runs one prompt under one compression setup on one engine: prefill, greedy answer, and optionally the
/// teacher-forced log-probabilities of a reference continuation. Not thread-safe; one per worker.
/// </summary>
internal sealed class PromptRunner : IPromptRunner
{
    private readonly InferenceEngine _engine;
    private readonly ITokenCodec _codec;
    private readonly float[] _logits;
    private readonly int[] _eos;

    public PromptRunner(InferenceEngine engine, ITokenCodec codec)
    {
        _engine = engine;
        _codec = codec;
        _logits = new float[engine.Config.VocabSize];
        _eos = [.. engine.Model.GenerationConfig.EosTokenIds];
    }

    public ModelConfig Config => _engine.Config;

    /// <summary>Greedy decoding after a compressed prefill; stops at eos, a newline after text, or <paramref name="maxNew"/> tokens.</summary>
    public GreedyResult Greedy(int[] prompt, CompressionMethodPlan plan, int maxNew, bool captureKept, CancellationToken ct) =>
        Greedy(prompt, plan.CreateCpuSetup(), maxNew, captureKept, ct);

    /// <summary>Greedy decoding under CPU hooks (the diagnosis builds setups a plan cannot express).</summary>
    public GreedyResult Greedy(int[] prompt, CompressionSetup setup, int maxNew, bool captureKept, CancellationToken ct)
    {
        using var cache = setup.CreateCache();
        var sw = Stopwatch.StartNew();
        _engine.Prefill(prompt, cache, setup.Hooks, _logits, null, ct);
        double prefillMs = sw.Elapsed.TotalMilliseconds;
        int[][][]? kept = captureKept ? KeptPositions.Capture(cache) : null;
        string text = GreedyText(_logits, maxNew, _eos, _codec, token => _engine.Decode(token, cache, setup.Hooks, _logits));
        return new GreedyResult(text, prefillMs, kept);
    }

    /// <summary>
    /// The greedy answer from the prefill's <paramref name="logits"/>: stops at eos, a newline after text, or
    /// <paramref name="maxNew"/> tokens; <paramref name="decode"/> feeds a token and refreshes the logits.
    /// </summary>
    public static string GreedyText(float[] logits, int maxNew, int[] eos, ITokenCodec codec, Action<int> decode)
    {
        var generated = new List<int>();
        string text = string.Empty;
        for (int i = 0; i < maxNew; i++)
        {
            int token = TensorPrimitives.IndexOfMax(logits);
            if (eos.Contains(token))
            {
                break;
            }

            generated.Add(token);
            text = codec.Decode(generated, skipSpecialTokens: true);
            if (text.TrimStart().Contains('\n', StringComparison.Ordinal) || i + 1 == maxNew)
            {
                break;
            }

            decode(token);
        }

        return text;
    }

    /// <summary>Log-softmax of the next-token distribution before each reference token (teacher forcing).</summary>
    public float[][] TeacherForced(int[] prompt, int[] reference, CompressionMethodPlan plan, CancellationToken ct)
    {
        var setup = plan.CreateCpuSetup();
        using var cache = setup.CreateCache();
        _engine.Prefill(prompt, cache, setup.Hooks, _logits, null, ct);
        var result = new float[reference.Length][];
        for (int i = 0; i < reference.Length; i++)
        {
            result[i] = LogSoftmax(_logits);
            if (i + 1 < reference.Length)
            {
                _engine.Decode(reference[i], cache, setup.Hooks, _logits);
            }
        }

        return result;
    }

    /// <summary>Mean KL(p ‖ q) over positions and the mean rank of each reference token under q (0 = top).</summary>
    public static (double Kl, double Rank) Compare(float[][] full, float[][] compressed, int[] reference)
    {
        double kl = 0, rank = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            var p = full[i];
            var q = compressed[i];
            double sum = 0;
            for (int v = 0; v < p.Length; v++)
            {
                double pv = Math.Exp(p[v]);
                sum += pv * (p[v] - q[v]);
            }

            kl += Math.Max(0, sum);
            float target = q[reference[i]];
            int above = 0;
            foreach (float x in q)
            {
                above += x > target ? 1 : 0;
            }

            rank += above;
        }

        return (kl / reference.Length, rank / reference.Length);
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    /// <summary>log-softmax of one logits row.</summary>
    public static float[] LogSoftmax(float[] logits)
    {
        float max = TensorPrimitives.Max(logits);
        double sum = 0;
        foreach (float x in logits)
        {
            sum += Math.Exp(x - max);
        }

        float logZ = max + (float)Math.Log(sum);
        var result = new float[logits.Length];
        TensorPrimitives.Subtract(logits, logZ, result);
        return result;
    }
}

/// <summary>What a greedy run produced.</summary>
/// <param name="Text">Decoded answer.</param>
/// <param name="PrefillMs">Prefill milliseconds.</param>
/// <param name="Kept">Kept positions after prefill, when asked for.</param>
internal sealed record GreedyResult(string Text, double PrefillMs, int[][][]? Kept);
