using System.Diagnostics;
using System.Globalization;
using UNComp.Runtime.Compression;
using UNComp.Runtime.Compression.Methods;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Models;
using UncompProfile = UNComp.Runtime.Profiles.UncompProfile;

namespace UNComp.Runtime.Evaluation;

/// <summary>
/// Why selection loses answers: for each method and budget, the accuracy when only one layer (or one cache unit)
/// is compressed to its budget and every other keeps the whole prompt, and — with every layer compressed — where
/// each unit's kept tokens lie relative to the answer span (inside it, near it, sinks, the question tail, elsewhere).
/// Per-layer runs use the method's KV policy without hidden-state pruning, so a layer is judged by its own cache.
/// </summary>
public sealed class SelectionDiagnosis
{
    private const int SinkTokens = 4, NearTokens = 16, TailTokens = 32;
    private readonly LlamaModel _model;
    private readonly ITokenCodec _codec;
    private readonly UncompProfile? _profile;

    /// <summary>Creates a diagnosis over the prompts of <paramref name="runner"/>'s grid.</summary>
    public SelectionDiagnosis(LlamaModel model, ITokenCodec codec, EvalRunner runner, UncompProfile? profile)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(codec);
        ArgumentNullException.ThrowIfNull(runner);
        _model = model;
        _codec = codec;
        Runner = runner;
        _profile = profile;
    }

    /// <summary>The grid whose prompts, methods and budgets are diagnosed.</summary>
    public EvalRunner Runner { get; }

    /// <summary>Runs the diagnosis; <paramref name="perUnit"/> also compresses one cache unit at a time.</summary>
    public DiagnosisReport Run(bool perUnit, IProgress<EvalProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var started = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        var o = Runner.Options;
        var samples = Runner.GenerateSamples();
        int maxNew = Math.Max(1, o.MaxNewTokens);
        var references = samples.Select(s => _codec.Encode(" " + s.Answer, addSpecialTokens: false).Count).ToArray();
        var newTokens = samples.Select((s, i) => s.Items.Count > 0 || s.Task == EvalTask.TextNeedle ? Math.Max(maxNew, references[i] + 4) : maxNew).ToArray();
        var spans = samples.Select(s => AnswerSpans.Find(s, _codec)).ToArray();
        var cfg = _model.Config;
        var methods = o.Methods.Where(m => m != "full").ToList();
        int variants = 1 + cfg.NumLayers + (perUnit ? cfg.NumLayers * cfg.NumKeyValueHeads : 0);
        int total = 1 + (methods.Count * o.Budgets.Count * variants);
        int longest = samples.Select((s, i) => s.Tokens.Length + newTokens[i]).DefaultIfEmpty(1).Max();
        int parallelism = Runner.Parallelism(samples.Count);
        var workers = Runner.CreateWorkers(longest, parallelism);
        try
        {
            int done = 0;

            // correct[i] of one variant, over all prompts in parallel.
            bool[] Evaluate(Func<EvalSample, int, CompressionMethodPlan> setup, bool captureKept, int[][][][]? kept, string label)
            {
                progress?.Report(new EvalProgress(done, total, label));
                var correct = new bool[samples.Count];
                Parallel.For(0, samples.Count, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, i =>
                {
                    var result = workers.Value!.Greedy(samples[i].Tokens, setup(samples[i], newTokens[i]), newTokens[i], captureKept, cancellationToken);
                    correct[i] = AnswerScoring.IsCorrect(samples[i], result.Text);
                    if (kept is not null)
                    {
                        kept[i] = result.Kept!;
                    }
                });
                done++;
                return correct;
            }

            var accuracy = new List<LayerDiagnosis>();
            var locations = new List<UnitLocation>();
            LayerDiagnosis Row(string method, double budget, int layer, int unit, bool[] correct)
            {
                int k = correct.Count(c => c);
                var (low, high) = WilsonInterval.Compute(k, correct.Length);
                return new LayerDiagnosis
                {
                    Method = method, Budget = budget, Layer = layer, Unit = unit, Samples = correct.Length, Correct = k,
                    Accuracy = Math.Round(k / (double)Math.Max(1, correct.Length), 4), Low = Math.Round(low, 4), High = Math.Round(high, 4),
                };
            }

            accuracy.Add(Row("full", 1, -2, -1, Evaluate((s, n) => Create("full", 1, s, n), false, null, "full cache")));
            foreach (string method in methods)
            {
                foreach (double budget in o.Budgets)
                {
                    string tag = string.Create(CultureInfo.InvariantCulture, $"{method} {budget:P0}");
                    var kept = new int[samples.Count][][][];
                    accuracy.Add(Row(method, budget, -1, -1, Evaluate((s, n) => Create(method, budget, s, n), true, kept, tag + " all layers")));
                    locations.AddRange(Locate(method, budget, kept, spans, samples));
                    for (int layer = 0; layer < cfg.NumLayers; layer++)
                    {
                        int l = layer;
                        accuracy.Add(Row(method, budget, l, -1, Evaluate((s, n) => Only(Create(method, budget, s, n), s, n, l, -1), false, null, $"{tag} layer {l}")));
                        if (perUnit)
                        {
                            int units = Create(method, budget, samples[0], newTokens[0]).Budgets.Capacities[l].Length;
                            for (int unit = 0; unit < units; unit++)
                            {
                                int u = unit;
                                accuracy.Add(Row(method, budget, l, u, Evaluate((s, n) => Only(Create(method, budget, s, n), s, n, l, u), false, null, $"{tag} layer {l} unit {u}")));
                            }
                        }
                    }
                }
            }

            progress?.Report(new EvalProgress(total, total, "done"));
            return new DiagnosisReport
            {
                Model = Path.GetFileName(_model.Directory.TrimEnd('/', '\\')),
                Profile = _profile?.Name,
                StartedUtc = started.ToString("O", CultureInfo.InvariantCulture),
                Seconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
                Tasks = [.. o.Tasks.Select(EvalRunner.Name)],
                Samples = samples.Count,
                SinkTokens = SinkTokens,
                NearTokens = NearTokens,
                TailTokens = TailTokens,
                Accuracy = accuracy,
                Locations = locations,
            };
        }
        finally
        {
            EvalRunner.DisposeWorkers(workers);
        }
    }

    private CompressionMethodPlan Create(string method, double budget, EvalSample sample, int maxNew) =>
        EvalMethods.Plan(method, _model.Config, budget * sample.Tokens.Length, sample.Tokens.Length, sample.Tokens.Length + maxNew, _profile);

    // The method's capacities in one layer (or one unit of it), the whole prompt everywhere else; no hidden-state
    // pruning. Units whose capacity holds the whole prompt keep every token on either engine.
    private static CompressionMethodPlan Only(CompressionMethodPlan plan, EvalSample sample, int maxNew, int layer, int unit)
    {
        int full = sample.Tokens.Length + maxNew;
        var capacities = plan.Budgets.Capacities
            .Select((row, l) => (IReadOnlyList<int>)[.. row.Select((c, u) => l == layer && (unit < 0 || u == unit) ? c : full)])
            .ToList();
        return plan with { Budgets = KvBudgetPlanner.Exact(plan.Budgets.Config, capacities, plan.Budgets.Granularity), HiddenStates = null };
    }

    private static IEnumerable<UnitLocation> Locate(string method, double budget, int[][][][] kept, IReadOnlyList<(int Start, int End)>[] spans, IReadOnlyList<EvalSample> samples)
    {
        int layers = kept[0].Length, units = kept[0][0].Length;
        for (int layer = 0; layer < layers; layer++)
        {
            for (int unit = 0; unit < units; unit++)
            {
                double keptSum = 0, recall = 0, answer = 0, near = 0, sink = 0, tail = 0, other = 0;
                int withSpans = 0;
                for (int i = 0; i < samples.Count; i++)
                {
                    var positions = kept[i][layer][unit];
                    int length = samples[i].Tokens.Length;
                    var s = spans[i];
                    int a = 0, n = 0, k = 0, t = 0, rest = 0;
                    foreach (int p in positions)
                    {
                        if (p >= length)
                        {
                            continue;
                        }

                        if (s.Any(x => p >= x.Start && p < x.End))
                        {
                            a++;
                        }
                        else if (s.Any(x => p >= x.Start - NearTokens && p < x.End + NearTokens))
                        {
                            n++;
                        }
                        else if (p < SinkTokens)
                        {
                            k++;
                        }
                        else if (p >= length - TailTokens)
                        {
                            t++;
                        }
                        else
                        {
                            rest++;
                        }
                    }

                    double count = Math.Max(1, a + n + k + t + rest);
                    keptSum += positions.Length;
                    answer += a / count;
                    near += n / count;
                    sink += k / count;
                    tail += t / count;
                    other += rest / count;
                    int spanTokens = s.Sum(x => x.End - x.Start);
                    if (spanTokens > 0)
                    {
                        var set = positions.ToHashSet();
                        recall += s.Sum(x => Enumerable.Range(x.Start, x.End - x.Start).Count(set.Contains)) / (double)spanTokens;
                        withSpans++;
                    }
                }

                double m = samples.Count;
                yield return new UnitLocation
                {
                    Method = method, Budget = budget, Layer = layer, Unit = unit,
                    Kept = Math.Round(keptSum / m, 1),
                    AnswerRecall = withSpans == 0 ? null : Math.Round(recall / withSpans, 4),
                    ShareAnswer = Math.Round(answer / m, 4), ShareNear = Math.Round(near / m, 4), ShareSink = Math.Round(sink / m, 4),
                    ShareTail = Math.Round(tail / m, 4), ShareOther = Math.Round(other / m, 4),
                };
            }
        }
    }
}
