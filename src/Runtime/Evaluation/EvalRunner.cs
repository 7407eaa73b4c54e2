using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using UNComp.Runtime.Compression;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Models;
using UNComp.Runtime.Profiles;

namespace UNComp.Runtime.Evaluation;

/// <summary>
/// Runs the retrieval grid: every sample under the full cache and under every method × mean budget, greedy
/// decoding a short answer; a prompt is correct when the first number in the output equals the answer.
/// </summary>
public sealed class EvalRunner
{
    private readonly LlamaModel _model;
    private readonly ITokenCodec _codec;
    private readonly TaskGenerator _generator;
    private readonly UncompProfile? _profile;

    /// <summary>Creates a runner.</summary>
    /// <param name="model">The model.</param>
    /// <param name="codec">Its tokenizer.</param>
    /// <param name="haystack">Haystack text.</param>
    /// <param name="options">The grid.</param>
    /// <param name="profile">Calibrated profile for the uncomp methods, or null when none is evaluated.</param>
    public EvalRunner(LlamaModel model, ITokenCodec codec, string haystack, EvalOptions options, UncompProfile? profile)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(codec);
        ArgumentNullException.ThrowIfNull(options);
        _model = model;
        _codec = codec;
        Options = options;
        _profile = profile;
        _generator = new TaskGenerator(codec, haystack, options.Templates);
        foreach (string m in options.Methods)
        {
            if (!EvalMethods.All.Contains(m))
            {
                throw new ArgumentException($"unknown method '{m}'; use one of: {string.Join(", ", EvalMethods.All)}.", nameof(options));
            }

            if (EvalMethods.NeedsProfile(m) && profile is null)
            {
                throw new ArgumentException($"method '{m}' needs a calibrated profile.", nameof(profile));
            }
        }
    }

    /// <summary>The grid.</summary>
    public EvalOptions Options { get; }

    /// <summary>
    /// When set, every prompt runs on this GPU model (one at a time; the methods' selection on the device) instead of
    /// the CPU engine. Load it from the same directory as the CPU model.
    /// </summary>
    public Gpu.CudaModel? GpuModel { get; init; }

    /// <summary>The lengths of the tasks that are not a depth grid.</summary>
    public IReadOnlyList<int> SampleLengths => Options.SampleLengths.Count > 0 ? Options.SampleLengths : [Options.ContextLengths.Max()];

    /// <summary>The seeded prompts of the grid (same seed → same prompts).</summary>
    public IReadOnlyList<EvalSample> GenerateSamples()
    {
        var o = Options;
        var samples = new List<EvalSample>();
        foreach (var task in o.Tasks)
        {
            int index = 0;
            switch (task)
            {
                case EvalTask.Needle or EvalTask.TextNeedle:
                    foreach (int length in o.ContextLengths)
                    {
                        foreach (double depth in o.Depths)
                        {
                            for (int s = 0; s < o.NeedleSamplesPerCell; s++, index++)
                            {
                                var random = SampleRandom(task, index);
                                samples.Add(task == EvalTask.Needle ? _generator.Needle(length, depth, index, random) : _generator.TextNeedle(length, depth, index, random));
                            }
                        }
                    }

                    break;
                default:
                    int count = task switch { EvalTask.Passkey => o.PasskeySamples, EvalTask.MultiKey => o.MultiKeySamples, _ => o.RulerSamples };
                    foreach (int length in SampleLengths)
                    {
                        for (int i = 0; i < count; i++, index++)
                        {
                            samples.Add(Generate(task, length, i, count, index, SampleRandom(task, index)));
                        }
                    }

                    break;
            }
        }

        return samples;
    }

    /// <summary>Runs the grid.</summary>
    public EvalReport Run(IProgress<EvalProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var started = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        var samples = GenerateSamples();
        var runs = new List<(string Method, double Budget)>();
        foreach (string m in Options.Methods)
        {
            if (m == "full")
            {
                runs.Add((m, 1.0));
            }
            else
            {
                runs.AddRange(Options.Budgets.Select(b => (m, b)));
            }
        }

        int maxNew = Math.Max(1, Options.MaxNewTokens);
        var references = samples.Select(s => _codec.Encode(" " + s.Answer, addSpecialTokens: false).ToArray()).ToArray();
        int longest = samples.Select((s, i) => s.Tokens.Length + Math.Max(maxNew, references[i].Length + 4)).DefaultIfEmpty(1).Max();
        int parallelism = Parallelism(samples.Count);
        var perSample = new EvalRecord[samples.Count][];
        int total = samples.Count * runs.Count;
        int done = 0;
        var gate = new object();
        var workers = CreateWorkers(longest, parallelism);
        try
        {
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken };
            Parallel.For(0, samples.Count, parallel, i =>
            {
                var sample = samples[i];
                var runner = workers.Value!;
                int answerNew = sample.Items.Count > 0 || sample.Task == EvalTask.TextNeedle ? Math.Max(maxNew, references[i].Length + 4) : maxNew;
                if (Options.Fidelity)
                {
                    answerNew = Math.Max(answerNew, references[i].Length); // room to feed the whole reference
                }

                float[][]? fullReference = Options.Fidelity ? runner.TeacherForced(sample.Tokens, references[i], Setup("full", 1, sample, answerNew), cancellationToken) : null;
                var records = new EvalRecord[runs.Count];
                for (int r = 0; r < runs.Count; r++)
                {
                    var (method, budget) = runs[r];
                    cancellationToken.ThrowIfCancellationRequested();
                    lock (gate)
                    {
                        progress?.Report(new EvalProgress(done, total, string.Create(CultureInfo.InvariantCulture, $"{Name(sample.Task)} L={sample.TargetLength} d={sample.Depth:0.00} {method} {(method == "full" ? "" : $"{budget:P0}")}")));
                    }

                    records[r] = RunOne(runner, sample, method, budget, answerNew, references[i], fullReference, cancellationToken);
                    Interlocked.Increment(ref done);
                }

                perSample[i] = records;
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.All(x => x is OperationCanceledException))
        {
            throw new OperationCanceledException("evaluation cancelled", e, cancellationToken);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
            throw;
        }
        finally
        {
            DisposeWorkers(workers);
        }

        var all = perSample.SelectMany(r => r).ToList();
        progress?.Report(new EvalProgress(done, total, "done"));
        return new EvalReport
        {
            Model = Path.GetFileName(_model.Directory.TrimEnd('/', '\\')),
            Profile = _profile?.Name,
            ProfileGranularity = _profile?.Compression.Granularity,
            StartedUtc = started.ToString("O", CultureInfo.InvariantCulture),
            Seconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
            ProcessorCount = Environment.ProcessorCount,
            Settings = new EvalSettings
            {
                Tasks = [.. Options.Tasks.Select(Name)],
                Methods = Options.Methods,
                Budgets = Options.Budgets,
                ContextLengths = Options.ContextLengths,
                Depths = Options.Depths,
                NeedleSamplesPerCell = Options.NeedleSamplesPerCell,
                PasskeySamples = Options.PasskeySamples,
                MultiKeySamples = Options.MultiKeySamples,
                SampleLengths = SampleLengths,
                RulerSamples = Options.RulerSamples,
                Parallelism = parallelism,
                Fidelity = Options.Fidelity,
                MaxNewTokens = maxNew,
                Seed = Options.Seed,
            },
            Summaries = Summarize(all),
            Records = all,
        };
    }

    /// <summary>The report name of a task.</summary>
    public static string Name(EvalTask task) => task switch
    {
        EvalTask.Passkey => "passkey",
        EvalTask.Needle => "needle",
        EvalTask.MultiKey => "multikey",
        EvalTask.TextNeedle => "textneedle",
        EvalTask.MultiValue => "multivalue",
        EvalTask.MultiQuery => "multiquery",
        EvalTask.VariableTracking => "vartrack",
        _ => "commonwords",
    };

    /// <summary>The task of a report name (or a common spelling of it), or null.</summary>
    public static EvalTask? ParseTask(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string n = name.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();
        foreach (var task in Enum.GetValues<EvalTask>())
        {
            if (Name(task) == n || task.ToString().Equals(n, StringComparison.OrdinalIgnoreCase))
            {
                return task;
            }
        }

        return null;
    }

    /// <summary>The first run of digits in <paramref name="text"/>, or empty.</summary>
    public static string FirstNumber(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int start = -1;
        for (int i = 0; i < text.Length; i++)
        {
            bool digit = text[i] is >= '0' and <= '9';
            if (digit && start < 0)
            {
                start = i;
            }
            else if (!digit && start >= 0)
            {
                return text[start..i];
            }
        }

        return start >= 0 ? text[start..] : string.Empty;
    }

    private EvalSample Generate(EvalTask task, int length, int i, int count, int index, Random random) => task switch
    {
        EvalTask.Passkey => _generator.Passkey(length, count == 1 ? 0.5 : i / (double)(count - 1), index, random),
        EvalTask.MultiKey => _generator.MultiKey(length, index, random),
        EvalTask.MultiValue => _generator.MultiValue(length, index, random),
        EvalTask.MultiQuery => _generator.MultiQuery(length, index, random),
        EvalTask.VariableTracking => _generator.VariableTracking(length, index, random),
        _ => _generator.CommonWords(length, index, random),
    };

    /// <summary>Prompts run at once: the options' parallelism on the CPU, one on the GPU (one stream).</summary>
    internal int Parallelism(int samples) => GpuModel is null ? Math.Clamp(Options.Parallelism, 1, Math.Max(1, samples)) : 1;

    /// <summary>One prompt runner per worker thread: on the GPU when <see cref="GpuModel"/> is set, else a CPU engine for <paramref name="longest"/> tokens.</summary>
    internal ThreadLocal<IPromptRunner> CreateWorkers(int longest, int parallelism) => new(
        () => GpuModel is { } gpu ? new CudaPromptRunner(gpu, _codec)
            : new PromptRunner(new InferenceEngine(_model, longest, parallelism > 1 ? new Compute.CpuBackend(1) : null), _codec),
        trackAllValues: true);

    /// <summary>Disposes every runner <see cref="CreateWorkers"/> made, then the container.</summary>
    internal static void DisposeWorkers(ThreadLocal<IPromptRunner> workers)
    {
        foreach (var worker in workers.Values)
        {
            worker.Dispose();
        }

        workers.Dispose();
    }

    private Compression.Methods.CompressionMethodPlan Setup(string method, double budget, EvalSample sample, int maxNew)
    {
        int promptLength = sample.Tokens.Length;
        return EvalMethods.Plan(method, _model.Config, budget * promptLength, promptLength, promptLength + maxNew, _profile);
    }

    private EvalRecord RunOne(IPromptRunner runner, EvalSample sample, string method, double budget, int maxNew, int[] reference, float[][]? fullReference, CancellationToken ct)
    {
        int promptLength = sample.Tokens.Length;
        var plan = Setup(method, budget, sample, maxNew);
        var budgets = plan.Budgets;
        var result = runner.Greedy(sample.Tokens, plan, maxNew, Options.RecordKeptPositions, ct);
        (double Kl, double Rank)? fidelity = null;
        if (fullReference is not null && reference.Length > 0)
        {
            var compressed = method == "full" ? fullReference : runner.TeacherForced(sample.Tokens, reference, plan, ct);
            fidelity = PromptRunner.Compare(fullReference, compressed, reference);
        }

        return new EvalRecord
        {
            Task = Name(sample.Task),
            Method = method,
            Budget = budget,
            Index = sample.Index,
            ContextLength = sample.TargetLength,
            PromptTokens = promptLength,
            Depth = sample.Depth,
            Answer = sample.Answer,
            Output = result.Text,
            Correct = AnswerScoring.IsCorrect(sample, result.Text),
            MeanTokensPerUnit = Math.Round(budgets.MeanTokensPerUnit, 2),
            KvBytes = budgets.Bytes,
            FullKvBytes = budgets.FullCacheBytes(promptLength + maxNew),
            PrefillMs = Math.Round(result.PrefillMs, 1),
            Kl = fidelity is { } f ? Math.Round(f.Kl, 6) : null,
            ReferenceRank = fidelity is { } g ? Math.Round(g.Rank, 3) : null,
            PromptIds = Options.RecordKeptPositions ? sample.Tokens : null,
            KeptPositions = result.Kept,
        };
    }

    /// <summary>
    /// Accuracy with 95 % Wilson intervals per (task, context length, method, budget); a task run at several
    /// lengths also gets rows over all of them (context length 0).
    /// </summary>
    public static List<EvalSummary> Summarize(IReadOnlyList<EvalRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var lengthsOfTask = records.GroupBy(r => r.Task).ToDictionary(g => g.Key, g => g.Select(r => r.ContextLength).Distinct().Count());
        var cells = records.Select(r => (Length: r.ContextLength, Record: r))
            .Concat(records.Where(r => lengthsOfTask[r.Task] > 1).Select(r => (Length: 0, Record: r)))
            .ToList();
        var full = cells.Where(c => c.Record.Method == "full").GroupBy(c => (c.Record.Task, c.Length))
            .ToDictionary(g => g.Key, g => g.Average(c => c.Record.Correct ? 1.0 : 0.0));
        return [.. cells
            .GroupBy(c => (c.Record.Task, c.Length, c.Record.Method, c.Record.Budget))
            .Select(g =>
            {
                var rows = g.Select(c => c.Record).ToList();
                int correct = rows.Count(r => r.Correct);
                double accuracy = correct / (double)rows.Count;
                double? relative = full.TryGetValue((g.Key.Task, g.Key.Length), out double f) && f > 0 ? Math.Round(accuracy / f, 4) : null;
                var (low, high) = WilsonInterval.Compute(correct, rows.Count);
                var kl = rows.Where(r => r.Kl is not null).ToList();
                return new EvalSummary
                {
                    Task = g.Key.Task,
                    ContextLength = g.Key.Length,
                    Method = g.Key.Method,
                    Budget = g.Key.Budget,
                    Samples = rows.Count,
                    Correct = correct,
                    Accuracy = Math.Round(accuracy, 4),
                    Low = Math.Round(low, 4),
                    High = Math.Round(high, 4),
                    MeanKl = kl.Count > 0 ? Math.Round(kl.Average(r => r.Kl!.Value), 6) : null,
                    MeanReferenceRank = kl.Count > 0 ? Math.Round(kl.Average(r => r.ReferenceRank!.Value), 3) : null,
                    RelativeToFull = relative,
                    MeanKvBytes = Math.Round(rows.Average(r => (double)r.KvBytes)),
                    MeanKvFraction = Math.Round(rows.Average(r => (double)r.KvBytes / r.FullKvBytes), 4),
                    MeanPrefillMs = Math.Round(rows.Average(r => r.PrefillMs), 1),
                };
            })
            .OrderBy(x => x.Task, StringComparer.Ordinal).ThenBy(x => x.ContextLength)];
    }

    // HashCode.Combine is randomised per process, so the seed is mixed by hand to keep prompts reproducible.
    private Random SampleRandom(EvalTask task, int index) => new((int)((((Options.Seed * 1_000_003L) + ((int)task * 10_007L) + index) & int.MaxValue)));
}
