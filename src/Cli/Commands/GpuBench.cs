using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using UNComp.Runtime.Cache;
using UNComp.Runtime.Compression;
using UNComp.Runtime.Compression.Methods;
using UNComp.Runtime.Cuda;
using UNComp.Runtime.Cuda.Interop;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Gpu;
using UNComp.Runtime.Models;

namespace UNComp.Cli.Commands;

/// <summary>
/// <c>uncomp bench --device cuda</c>: copy bandwidth (the bound's denominator), prefill time, batch-1 decode tok/s
/// against the bandwidth bound with a per-kernel breakdown, and aggregate decode tok/s over batch sizes up to the
/// memory limit, for the full cache and for a compressed layout of a given mean budget; JSON with the GPU, driver
/// and command.
/// </summary>
internal static class GpuBench
{
    public sealed record Settings(string ModelDir, int Context, int NewTokens, int Seed, double BudgetPercent, string? JsonPath, string Command, bool Sweep)
    {
        /// <summary>
        /// Prompt lengths of a context sweep (one model load, one JSON with an object per length under <c>rows</c>);
        /// null measures <see cref="Context"/> alone, with its figures at the top level.
        /// </summary>
        public IReadOnlyList<int>? Contexts { get; init; }

        /// <summary>Smallest decode-attention chunks to time batch-1 decode with (<see cref="CudaEngine.DecodeMinChunk"/>), beside the automatic one.</summary>
        public IReadOnlyList<int> DecodeChunks { get; init; } = [];

        /// <summary>Measure only the compressed layout of <see cref="BudgetPercent"/> (no full-cache figures).</summary>
        public bool BudgetOnly { get; init; }

        /// <summary>
        /// Batch-1 decode steps to run inside a profiler capture range after each layout's headline timing (0 = none),
        /// for <c>ncu --profile-from-start off</c> or <c>nsys --capture-range=cudaProfilerApi</c>.
        /// </summary>
        public int CaptureSteps { get; init; }
    }

    public static int Run(Settings s, TextWriter output, CancellationToken cancellationToken)
    {
        var c = CultureInfo.InvariantCulture;
        if (s.BudgetOnly && s.BudgetPercent <= 0)
        {
            throw new ArgumentException("--budget-only needs --budget-percent P (P > 0): the compressed layout is all it measures.");
        }

        if (s.CaptureSteps < 0)
        {
            throw new ArgumentException($"--capture-steps must be ≥ 0 (got {s.CaptureSteps}).");
        }

        using var device = CudaDevice.Open();
        output.WriteLine($"GPU: {device.Name} ({device.Architecture}, {device.Multiprocessors} SMs, {device.TotalMemory / (1 << 30)} GiB), driver {device.DriverVersion}");
        double bandwidth = CopyBandwidth(device);
        output.WriteLine(string.Create(c, $"device-to-device copy bandwidth: {bandwidth / 1e9:F0} GB/s (bytes read + written)"));
        var load = Stopwatch.StartNew();
        using var model = CudaModel.Load(device, s.ModelDir, cancellationToken: cancellationToken);
        load.Stop();
        var cfg = model.Config;
        output.WriteLine(string.Create(c, $"model: {cfg.NumLayers} layers, hidden {cfg.HiddenSize}, {model.WeightBytes / 1e9:F2} GB bf16 on the device, loaded in {load.Elapsed.TotalSeconds:F1} s"));
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("command", s.Command);
            json.WriteString("gpu", device.Name);
            json.WriteNumber("driver_version", device.DriverVersion);
            json.WriteNumber("cublaslt_version", CublasLtGemm.Version);
            json.WriteString("dotnet", Environment.Version.ToString());
            json.WriteString("model", Path.GetFileName(Path.GetFullPath(s.ModelDir)));
            json.WriteNumber("weight_bytes", model.WeightBytes);
            json.WriteNumber("copy_bandwidth_GBps", Math.Round(bandwidth / 1e9, 1));
            if (s.Contexts is { } contexts)
            {
                json.WriteStartArray("rows");
                foreach (int context in contexts)
                {
                    json.WriteStartObject();
                    MeasureContext(json, output, model, s with { Context = context }, bandwidth, cancellationToken);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
            }
            else
            {
                MeasureContext(json, output, model, s, bandwidth, cancellationToken);
            }

            json.WriteEndObject();
        }

        string text = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        if (s.JsonPath is { } path)
        {
            File.WriteAllText(path, text + "\n");
            output.WriteLine($"results: {path}");
        }

        return 0;
    }

    /// <summary>The full cache and (with a budget) the compressed layout at one prompt length: <c>context</c>, <c>full</c>, <c>budget_P</c>.</summary>
    private static void MeasureContext(Utf8JsonWriter json, TextWriter output, CudaModel model, Settings s, double bandwidth, CancellationToken cancellationToken)
    {
        var c = CultureInfo.InvariantCulture;
        var cfg = model.Config;
#pragma warning disable CA5394 // reproducible benchmark prompt
        var rng = new Random(s.Seed);
        int[] prompt = Enumerable.Range(0, s.Context).Select(_ => rng.Next(cfg.VocabSize)).ToArray();
#pragma warning restore CA5394
        json.WriteNumber("context", s.Context);
        // Room for every decode phase below (warm-up, timed steps, profiles, the sweep) so the full cache never evicts.
        int capacity = s.Context + DecodeStepsUsed(s);
        if (!s.BudgetOnly)
        {
            Measure(json, output, model, "full", KvCacheLayout.Full(cfg, capacity), prompt, s, bandwidth, cancellationToken);
        }

        if (s.BudgetPercent > 0)
        {
            var layout = TwoGroupLayout(cfg, s.BudgetPercent / 100 * s.Context);
            Measure(json, output, model, string.Create(c, $"budget_{s.BudgetPercent:0.##}"), layout, prompt, s, bandwidth, cancellationToken, UncompSelection);
            MeasureWithoutSelection(json, output, model, string.Create(c, $"no_selection_{s.BudgetPercent:0.##}"), layout, prompt, s, bandwidth, cancellationToken);
        }
    }

    /// <summary>
    /// Batch-1 decode of the same compressed layout with no selection (units keep the most recent tokens): the same
    /// attention lengths and products with no re-scoring or eviction choice, so the gap to the selecting figure is
    /// what the selection costs the step.
    /// </summary>
    private static void MeasureWithoutSelection(Utf8JsonWriter json, TextWriter output, CudaModel model, string name, KvCacheLayout layout, int[] prompt,
        Settings s, double bandwidth, CancellationToken token)
    {
        int batch = 1;
        using var engine = CreateEngine(model, layout, prompt.Length, ref batch, null);
        engine.Prefill(0, prompt, [], null, token);
        var timing = TimedBatch1(engine, model, [prompt[^1]], s.NewTokens, bandwidth);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{name}] decode batch 1 with the same budgets and no selection (recency: no re-scoring, no eviction choice): {timing.TokS:F1} tok/s ({100 * timing.TokS / timing.Bound:F1} % of the bound {timing.Bound:F1})"));
        json.WriteStartObject(name);
        json.WriteString("selection", "none (recency by position)");
        json.WriteNumber("decode_b1_tok_s", Math.Round(timing.TokS, 2));
        json.WriteNumber("bound_tok_s", Math.Round(timing.Bound, 2));
        json.WriteEndObject();
    }

    /// <summary>
    /// A compressed layout with the given mean tokens per KV head: in every layer half the heads get 2/3 of the mean
    /// and half 4/3 (UNComp's two-group default ramp), rounded up to multiples of 64 (the kernels' preferred size).
    /// </summary>
    public static KvCacheLayout TwoGroupLayout(ModelConfig cfg, double meanTokens)
    {
        int units = cfg.NumKeyValueHeads;
        var caps = new int[cfg.NumLayers][];
        for (int l = 0; l < cfg.NumLayers; l++)
        {
            caps[l] = new int[units];
            for (int u = 0; u < units; u++)
            {
                double w = units == 1 ? 1 : (u % 2 == 0 ? 2.0 / 3 : 4.0 / 3);
                caps[l][u] = Math.Max(64, (int)Math.Ceiling(meanTokens * w / 64) * 64);
            }
        }

        return KvCacheLayout.FromCapacities(cfg, caps);
    }

    /// <summary>UNComp's selection with its default settings (window 8, max-pool 7, the window kept, fixed decode).</summary>
    public static SelectionSpec UncompSelection { get; } = new(ScoreSource.ObservationWindow, 8, 7, PoolingKind.Max, Sinks: 0, Recent: 8, DecodeMode.Fixed);

    /// <summary>
    /// Hidden-state stages for the benchmark (a random-weight model has no calibrated profile): four equal groups of
    /// layers process 100 %, 75 %, 50 % and 25 % of the prompt, window 8, the last window kept.
    /// </summary>
    public static HiddenStateSpec BenchStages(ModelConfig cfg, int promptTokens)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        var keep = new int[cfg.NumLayers];
        for (int l = 0; l < keep.Length; l++)
        {
            int stage = 4 * l / keep.Length;
            keep[l] = stage == 0 ? int.MaxValue : (int)Math.Ceiling(promptTokens * (1 - (0.25 * stage)));
        }

        return new HiddenStateSpec(keep, 8, KeepLastWindow: true);
    }

    private static void Measure(Utf8JsonWriter json, TextWriter output, CudaModel model, string name, KvCacheLayout layout, int[] prompt,
        Settings s, double bandwidth, CancellationToken token, SelectionSpec? selection = null)
    {
        var c = CultureInfo.InvariantCulture;
        // Without the sweep the arena holds one sequence, so the memory figures below are batch 1's.
        int maxBatch = s.Sweep ? FittingBatch(model, layout, prompt.Length, selection) : 1;
        using var engine = CreateEngine(model, layout, prompt.Length, ref maxBatch, selection);
        if (selection is { } spec)
        {
            output.WriteLine($"[{name}] selection on the device: {spec.Describe()}");
        }
        double meanTokens = layout.TotalCapacityTokens / (double)(layout.Layers * layout.UnitsPerLayer);
        output.WriteLine(string.Create(c, $"[{name}] KV layout: mean {meanTokens:F0} tokens per unit, {layout.ElementsPerBuffer * 4 / 1e9:F3} GB per sequence; batch up to {maxBatch} ({engine.KvBytes / 1e9:F1} GB KV on the device)"));
        json.WriteStartObject(name);
        json.WriteString("selection", selection is { } chosen ? chosen.Describe() : "none (recency by position)");
        json.WriteNumber("mean_tokens_per_unit", Math.Round(meanTokens, 1));
        json.WriteNumber("kv_bytes_device", engine.KvBytes);
        json.WriteNumber("kv_bytes_plan", 2L * maxBatch * layout.ElementsPerBuffer * 2);
        json.WriteNumber("max_batch", maxBatch);

        engine.Prefill(0, prompt.AsSpan(0, Math.Min(prompt.Length, 256)), [], null, token); // module load, GEMM plans
        double prefill = BestPrefillSeconds(engine, prompt, null, token);

        output.WriteLine(string.Create(c, $"[{name}] prefill {prompt.Length} tokens: {prefill:F3} s ({prompt.Length / prefill:F0} tok/s), best of 2, attention kernel {engine.PrefillKernel}"));
        json.WriteNumber("prefill_s", Math.Round(prefill, 4));
        json.WriteString("prefill_attention_kernel", engine.PrefillKernel.ToString());
        var prefillKernel = engine.PrefillKernel;
        engine.PrefillKernel = prefillKernel == PrefillAttentionKernel.Wgmma ? PrefillAttentionKernel.MmaSync : PrefillAttentionKernel.Wgmma;
        if (engine.PrefillKernel != prefillKernel)
        {
            // And with the other attention kernel (Hopper wgmma or mma.sync), for the record.
            engine.Prefill(0, prompt.AsSpan(0, Math.Min(prompt.Length, 256)), [], null, token);
            double otherPrefill = BestPrefillSeconds(engine, prompt, null, token);

            var otherProfile = engine.ProfilePrefill(0, prompt);
            output.WriteLine(string.Create(c, $"[{name}] prefill with the {engine.PrefillKernel} attention kernel: {otherPrefill:F3} s, attention {otherProfile.GetValueOrDefault("flash attention"):F1} ms, best of 2"));
            json.WriteNumber($"prefill_{engine.PrefillKernel.ToString().ToLowerInvariant()}_s", Math.Round(otherPrefill, 4));
            engine.PrefillKernel = prefillKernel;
        }

        if (selection is not null)
        {
            var stages = BenchStages(model.Config, prompt.Length);
            double staged = BestPrefillSeconds(engine, prompt, stages, token);

            string keep = string.Join(",", stages.KeepTokensPerLayer.Select(k => k == int.MaxValue ? "all" : k.ToString(c)).Distinct());
            output.WriteLine(string.Create(c, $"[{name}] prefill with hidden-state stages (layers keep {keep} tokens): {staged:F3} s = {prefill / staged:F2}× faster than without, best of 2"));
            json.WriteNumber("prefill_stages_s", Math.Round(staged, 4));
            json.WriteString("prefill_stages", keep);
        }
        WriteProfile(json, output, $"[{name}] where the prefill's time goes", "prefill_profile_ms", engine.ProfilePrefill(0, prompt));

        // Batch 1. KV bytes read per step: the lengths after the warm-up steps (the timed steps add a few rows each).
        int[] next = [prompt[^1]];
        // Every batch-1 figure is set against its own bound: the full cache grows by the steps of the timings before it.
        Batch1Timing TimeBatch1() => TimedBatch1(engine, model, next, s.NewTokens, bandwidth);
        var headline = TimeBatch1();
        double tokS = headline.TokS, bound = headline.Bound;
        output.WriteLine(string.Create(c, $"[{name}] decode batch 1: {tokS:F1} tok/s; bound {bound:F1} tok/s ({headline.BytesPerStep / 1e9:F2} GB per step) = {100 * tokS / bound:F1} % (best of {DecodeRounds} rounds of {s.NewTokens} steps)"));
        json.WriteStartObject("decode_b1");
        json.WriteNumber("tok_s", Math.Round(tokS, 2));
        json.WriteNumber("bound_tok_s", Math.Round(bound, 2));
        json.WriteNumber("bytes_per_step", headline.BytesPerStep);
        json.WriteNumber("steps", s.NewTokens);
        json.WriteEndObject();

        WriteProfile(json, output, $"[{name}] where a batch-1 step's time goes (eager, events between operations)", "decode_b1_profile_ms", engine.ProfileDecode([0], next));

        if (s.CaptureSteps > 0)
        {
            // For Nsight Compute / Systems: the default configuration's steps (graph launches) inside a capture range.
            model.Device.BeginProfilerCapture();
            for (int i = 0; i < s.CaptureSteps; i++)
            {
                engine.DecodeSample([0], next, SamplingOptions.Greedy, [], next);
            }

            model.Device.EndProfilerCapture();
            output.WriteLine(string.Create(c, $"[{name}] {s.CaptureSteps} batch-1 decode steps ran inside a profiler capture range (cuProfilerStart … cuProfilerStop)"));
        }

        // Batch-1 decode timed again with one setting changed, printed beside the bound and recorded under jsonKey.
        void TimeVariant(string with, string jsonKey)
        {
            var variant = TimeBatch1();
            output.WriteLine(string.Create(c, $"[{name}] decode batch 1 with {with}: {variant.TokS:F1} tok/s ({100 * variant.TokS / variant.Bound:F1} % of the bound)"));
            json.WriteNumber(jsonKey, Math.Round(variant.TokS, 2));
        }

        // The same batch-1 decode with the other matrix-vector path (GEMV kernel vs cuBLASLt), for the record.
        bool primary = engine.UseGemv;
        string other = primary ? "cublaslt" : "gemv";
        engine.UseGemv = !primary;
        TimeVariant($"{other} for the products", $"decode_b1_{other}_tok_s");
        WriteProfile(json, output, $"[{name}] with {other}", $"decode_b1_{other}_profile_ms", engine.ProfileDecode([0], next));
        engine.UseGemv = primary;

        // And with the other decode-attention kernel (tensor cores vs CUDA cores), for the record.
        var kernel = engine.DecodeKernel;
        engine.DecodeKernel = kernel == DecodeAttentionKernel.TensorCores ? DecodeAttentionKernel.CudaCores : DecodeAttentionKernel.TensorCores;
        var otherGeometry = engine.GeometryFor(1);
        string kernelName = engine.DecodeKernel == DecodeAttentionKernel.TensorCores ? "tensor-core" : "cuda-core";
        var kernelTiming = TimeBatch1();
        double kernelTokS = kernelTiming.TokS;
        var kernelProfile = engine.ProfileDecode([0], next);
        output.WriteLine(string.Create(c, $"[{name}] decode batch 1 with the {kernelName} decode attention ({otherGeometry.Chunk} × {otherGeometry.Splits}): {kernelTokS:F1} tok/s ({100 * kernelTokS / kernelTiming.Bound:F1} % of the bound), attention {kernelProfile.GetValueOrDefault("attention"):F3} ms, combine {kernelProfile.GetValueOrDefault("attention combine"):F3} ms"));
        json.WriteNumber($"decode_b1_{kernelName.Replace('-', '_')}_attention_tok_s", Math.Round(kernelTokS, 2));
        engine.DecodeKernel = kernel;

        // And with the other launch mode (programmatic dependent launch or plain), for the record.
        bool programmatic = engine.ProgrammaticLaunch;
        engine.ProgrammaticLaunch = !programmatic;
        if (engine.ProgrammaticLaunch != programmatic)
        {
            string state = engine.ProgrammaticLaunch ? "on" : "off";
            TimeVariant($"programmatic dependent launch {state}", $"decode_b1_pdl_{state}_tok_s");
            engine.ProgrammaticLaunch = programmatic;
        }
        if (engine.UseGemv)
        {
            // And with the GEMV's weight prefetch (before the wait for the previous kernel) switched, for the record.
            bool prefetch = engine.GemvPrefetch;
            engine.GemvPrefetch = !prefetch;
            string prefetchState = engine.GemvPrefetch ? "on" : "off";
            TimeVariant($"the GEMV's weight prefetch {prefetchState}", $"decode_b1_gemv_prefetch_{prefetchState}_tok_s");
            engine.GemvPrefetch = prefetch;
        }

        if (engine.FuseSwiGlu && engine.UseGemv)
        {
            // And with the SwiGLU as its own launch after the gate|up product (fused into the GEMV by default), for the record.
            engine.FuseSwiGlu = false;
            TimeVariant("the SwiGLU as a separate launch", "decode_b1_separate_swiglu_tok_s");
            engine.FuseSwiGlu = true;
        }

        if (engine.FuseRopeAttention && engine.DecodeKernel == DecodeAttentionKernel.TensorCores)
        {
            // And with RoPE as its own launch (qkv_rope) instead of inside the decode attention, for the record.
            engine.FuseRopeAttention = false;
            TimeVariant("RoPE as its own launch (qkv_rope)", "decode_b1_separate_rope_tok_s");
            engine.FuseRopeAttention = true;
        }

        if (engine.FuseEvictAppend && engine.HasSelection)
        {
            // And with the eviction choice and the KV append as separate launches (fused by default), for the record.
            engine.FuseEvictAppend = false;
            TimeVariant("the eviction choice and the KV append as separate launches", "decode_b1_separate_evict_append_tok_s");
            engine.FuseEvictAppend = true;
        }

        if (engine.OverlapSelection)
        {
            // And with each layer's selection work in line on the main stream (beside the step on the side stream by default), for the record.
            engine.OverlapSelection = false;
            TimeVariant("the selection in line on the main stream (no side stream)", "decode_b1_inline_selection_tok_s");
            engine.OverlapSelection = true;
        }

        if (engine.FuseCombineAppend && !engine.HasSelection)
        {
            // And with the combine and the KV append as separate launches (fused by default), for the record.
            engine.FuseCombineAppend = false;
            TimeVariant("the combine and the KV append as separate launches", "decode_b1_separate_combine_append_tok_s");
            engine.FuseCombineAppend = true;
        }

        if (engine.UseGemv)
        {
            // The GEMV with the other k splits for the short matrices (q|k|v, o), for the record.
            int splitK = engine.GemvSplitK;
            for (int warps = 1; warps <= 4; warps *= 2)
            {
                if (warps == splitK)
                {
                    continue;
                }

                engine.GemvSplitK = warps;
                TimeVariant(string.Create(c, $"the GEMV's k split over {warps} warp(s) (matrices ≤ {CudaEngine.GemvSplitKMaxRows} rows; default {splitK})"), $"decode_b1_gemv_splitk{warps}_tok_s");
            }

            engine.GemvSplitK = splitK;

            // And with the other inner-dimension limit for the GEMV (unlimited by default; 8192 sends down_proj of an 8B
            // model, k = 14336, to cuBLASLt), for the record.
            int maxK = engine.GemvMaxK;
            int otherMaxK = maxK > 8192 ? 8192 : int.MaxValue;
            string limit = otherMaxK == int.MaxValue ? "unlimited" : otherMaxK.ToString(c);
            string maxKKey = $"decode_b1_gemv_maxk_{(otherMaxK == int.MaxValue ? "all" : limit)}";
            engine.GemvMaxK = otherMaxK;
            TimeVariant(string.Create(c, $"the GEMV for products with k ≤ {limit} (cuBLASLt past it)"), maxKKey + "_tok_s");
            WriteProfile(json, output, $"[{name}] with the GEMV for k ≤ {limit}", maxKKey + "_profile_ms", engine.ProfileDecode([0], next));
            engine.GemvMaxK = maxK;

            // And with RMSNorm fused into the normed products (off by default: slower so far), for the record.
            engine.GemvFusedNorm = true;
            TimeVariant("RMSNorm fused into the GEMV", "decode_b1_fused_norm_tok_s");
            engine.GemvFusedNorm = false;
        }

        // The default settings once more after the variants: how far the same configuration drifts within one run.
        TimeVariant("the default settings again, after the variants", "decode_b1_again_tok_s");

        if (s.DecodeChunks.Count > 0)
        {
            DecodeChunkSweep(json, output, engine, model, name, next, s, bandwidth);
        }

        var (free, total) = model.Device.MemoryInfo();
        output.WriteLine(string.Create(c, $"[{name}] device memory in use: {(total - free) / 1e9:F2} GB (weights {model.WeightBytes / 1e9:F2} GB, KV arena {engine.KvBytes / 1e9:F3} GB for batch {maxBatch}, scratch, CUDA context)"));
        json.WriteNumber("device_used_bytes", total - free);
        if (s.Sweep)
        {
            Sweep(json, output, engine, maxBatch, name, token);
        }

        json.WriteEndObject();
    }

    /// <summary>The faster of two timed prefills of <paramref name="prompt"/> into slot 0 (with <paramref name="stages"/> if given), in wall seconds.</summary>
    private static double BestPrefillSeconds(CudaEngine engine, int[] prompt, HiddenStateSpec? stages, CancellationToken token)
    {
        double best = double.MaxValue;
        for (int r = 0; r < 2; r++)
        {
            var sw = Stopwatch.StartNew();
            engine.Prefill(0, prompt, [], stages, null, token);
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }

        return best;
    }

    /// <summary>
    /// Three untimed greedy steps (the first runs eagerly, the second captures the batch size's graph), then
    /// <paramref name="steps"/> timed ones; <paramref name="afterWarmup"/> runs between. Returns wall seconds.
    /// </summary>
    /// <summary>
    /// Wall seconds of <paramref name="steps"/> decode steps after three warm-up steps: the fastest of
    /// <paramref name="rounds"/> back-to-back rounds (a shared GPU's clocks and neighbours vary from second to second).
    /// </summary>
    private static double TimedDecode(CudaEngine engine, int[] slots, int[] next, int steps, Action? afterWarmup = null, int rounds = DecodeRounds)
    {
        for (int i = 0; i < 3; i++)
        {
            engine.DecodeSample(slots, next, SamplingOptions.Greedy, [], next);
        }

        afterWarmup?.Invoke();
        double best = double.MaxValue;
        for (int r = 0; r < rounds; r++)
        {
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < steps; i++)
            {
                engine.DecodeSample(slots, next, SamplingOptions.Greedy, [], next);
            }

            best = Math.Min(best, watch.Elapsed.TotalSeconds);
        }

        return best;
    }

    /// <summary>Timed rounds of every batch-1 decode figure (the best one counts).</summary>
    private const int DecodeRounds = 3;

    /// <summary>Timed steps of each batch size in the sweep.</summary>
    private const int SweepSteps = 16;

    /// <summary>A batch-1 decode timing: tok/s, and the bound from the bytes one step reads at the KV lengths it ran at.</summary>
    private readonly record struct Batch1Timing(double TokS, double Bound, long BytesPerStep);

    /// <summary>Batch-1 decode of slot 0 (<see cref="TimedDecode"/>) against the bound at the KV lengths after its warm-up.</summary>
    private static Batch1Timing TimedBatch1(CudaEngine engine, CudaModel model, int[] next, int steps, double bandwidth)
    {
        long kvRead = 0;
        double seconds = TimedDecode(engine, [0], next, steps, () => kvRead = engine.Arena.ReadLengths(0).Sum(l => (long)l) * engine.Arena.Layout.HeadDim * 2 * 2);
        long bytes = model.DecodeWeightBytes + kvRead;
        return new Batch1Timing(steps / seconds, bandwidth / bytes, bytes);
    }

    /// <summary>
    /// An upper bound on the tokens the bench appends to slot 0 after the prompt (every batch-1 timing with its warm-up,
    /// the profiles, the chunk sweep and the batch sweep), so the full cache is sized never to evict.
    /// </summary>
    private static int DecodeStepsUsed(Settings s)
    {
        const int Batch1Timings = 26, Profiles = 16, SweepSizes = 12, WarmUp = 3;
        int batch1 = (Batch1Timings + (2 * s.DecodeChunks.Count)) * (WarmUp + (DecodeRounds * s.NewTokens));
        return batch1 + Profiles + s.CaptureSteps + (SweepSizes * (WarmUp + (DecodeRounds * SweepSteps)));
    }

    private static void WriteProfile(Utf8JsonWriter json, TextWriter output, string title, string key, IReadOnlyDictionary<string, double> profile)
    {
        var c = CultureInfo.InvariantCulture;
        double total = profile.Values.Sum();
        output.WriteLine($"{title}: " + string.Join(", ", profile.OrderByDescending(p => p.Value)
            .Select(p => string.Create(c, $"{p.Key} {p.Value:F3} ms ({100 * p.Value / total:F0} %)"))));
        json.WriteStartObject(key);
        foreach (var (op, ms) in profile.OrderByDescending(p => p.Value))
        {
            json.WriteNumber(op, Math.Round(ms, 4));
        }

        json.WriteEndObject();
    }

    /// <summary>Batch-1 decode with each asked smallest attention chunk: tok/s, % of the bound and the attention kernels' times.</summary>
    private static void DecodeChunkSweep(Utf8JsonWriter json, TextWriter output, CudaEngine engine, CudaModel model, string name, int[] next, Settings s, double bandwidth)
    {
        var c = CultureInfo.InvariantCulture;
        var automatic = engine.GeometryFor(1);
        json.WriteStartArray("decode_b1_chunks");
        foreach (int chunk in s.DecodeChunks)
        {
            engine.DecodeMinChunk = chunk;
            var geometry = engine.GeometryFor(1);
            var timing = TimedBatch1(engine, model, next, s.NewTokens, bandwidth);
            double tokS = timing.TokS, bound = timing.Bound;
            var profile = engine.ProfileDecode([0], next);
            double attention = profile.GetValueOrDefault("attention"), combine = profile.GetValueOrDefault("attention combine");
            output.WriteLine(string.Create(c, $"[{name}] decode batch 1 with attention chunks of {geometry.Chunk} tokens ({geometry.Splits} per unit; automatic {automatic.Chunk} × {automatic.Splits}): {tokS:F1} tok/s ({100 * tokS / bound:F1} % of the bound), attention {attention:F3} ms, combine {combine:F3} ms"));
            json.WriteStartObject();
            json.WriteNumber("min_chunk", chunk);
            json.WriteNumber("chunk", geometry.Chunk);
            json.WriteNumber("splits", geometry.Splits);
            json.WriteNumber("tok_s", Math.Round(tokS, 2));
            json.WriteNumber("attention_ms", Math.Round(attention, 4));
            json.WriteNumber("combine_ms", Math.Round(combine, 4));
            json.WriteEndObject();
        }

        json.WriteEndArray();
        engine.DecodeMinChunk = 0;
    }

    private static void Sweep(Utf8JsonWriter json, TextWriter output, CudaEngine engine, int maxBatch, string name, CancellationToken token)
    {
        var c = CultureInfo.InvariantCulture;
        var sizes = new SortedSet<int> { maxBatch };
        for (int b = 1; b < maxBatch; b *= 2)
        {
            sizes.Add(b);
        }

        json.WriteStartArray("batch_sweep");
        const int Steps = SweepSteps;
        foreach (int b in sizes)
        {
            token.ThrowIfCancellationRequested();
            for (int slot = 1; slot < b; slot++)
            {
                engine.CloneSlot(0, slot);
            }

            double seconds = TimedDecode(engine, Enumerable.Range(0, b).ToArray(), Enumerable.Repeat(1, b).ToArray(), Steps);
            double aggregate = b * Steps / seconds;
            output.WriteLine(string.Create(c, $"[{name}] batch {b,4}: {aggregate,9:F1} tok/s aggregate ({1000 * seconds / Steps:F2} ms per step)"));
            json.WriteStartObject();
            json.WriteNumber("batch", b);
            json.WriteNumber("tok_s", Math.Round(aggregate, 1));
            json.WriteNumber("ms_per_step", Math.Round(1000 * seconds / Steps, 3));
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    /// <summary>The batch whose KV arena fits the free memory after a scratch reserve (the engine is retried smaller on out-of-memory).</summary>
    private static int FittingBatch(CudaModel model, KvCacheLayout layout, int promptTokens, SelectionSpec? selection)
    {
        var cfg = model.Config;
        long free = model.Device.MemoryInfo().Free;
        long scratch = (long)promptTokens * ((cfg.HiddenSize * 10L) + ((cfg.NumAttentionHeads + (2 * cfg.NumKeyValueHeads)) * cfg.HeadDim * 8L))
            + (4096L * cfg.IntermediateSize * 6) + (2L << 30);
        long perSlot = (layout.ElementsPerBuffer * 4) + (layout.TotalCapacityTokens * 4) + ((long)cfg.VocabSize * 4);
        if (selection is { } spec)
        {
            // Order lists, the recent-query ring and the re-scoring scratch of GpuSelection.
            perSlot += (layout.TotalCapacityTokens * 4) + ((long)cfg.NumLayers * spec.Window * cfg.NumAttentionHeads * cfg.HeadDim * 2)
                + ((long)layout.UnitsPerLayer * layout.MaxCapacity * 4 * 2);
        }

        return (int)Math.Clamp((free - scratch) / perSlot, 1, 1024);
    }

    private static CudaEngine CreateEngine(CudaModel model, KvCacheLayout layout, int prefillTokens, ref int maxBatch, SelectionSpec? selection)
    {
        while (true)
        {
            try
            {
                return new CudaEngine(model, layout, new CudaEngineOptions { MaxBatch = maxBatch, MaxPrefillTokens = prefillTokens, Selection = selection });
            }
            catch (CudaException ex) when (ex.IsOutOfMemory && maxBatch > 1)
            {
                maxBatch = Math.Max(1, maxBatch * 9 / 10);
            }
        }
    }

    /// <summary>Device-to-device copy of 2 GiB, ten times, timed with events: bytes read + written per second.</summary>
    public static double CopyBandwidth(CudaDevice device)
    {
        const long Bytes = 2L << 30;
        using var a = device.Allocate(Bytes, "the bandwidth probe source");
        using var b = device.Allocate(Bytes, "the bandwidth probe target");
        a.Fill(1);
        b.CopyFrom(a, 0, 0, Bytes);
        using var timer = new GpuTimer(device);
        timer.Start();
        for (int i = 0; i < 10; i++)
        {
            b.CopyFrom(a, 0, 0, Bytes);
        }

        double seconds = timer.StopMilliseconds() / 1000;
        return 2.0 * Bytes * 10 / seconds;
    }
}
