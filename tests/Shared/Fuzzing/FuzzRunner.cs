using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace UNComp.Testing.Fuzzing;

/// <summary>One unexpected outcome: the case that produced it, its mutations and what went wrong.</summary>
internal sealed record FuzzFinding(long Case, string Mutations, string Problem);

/// <summary>Counts of one fuzz run.</summary>
internal sealed record FuzzReport(string Parser, long Cases, long Accepted, long Rejected, TimeSpan Elapsed, IReadOnlyList<FuzzFinding> Findings)
{
    public override string ToString()
    {
        string head = string.Create(CultureInfo.InvariantCulture,
            $"{Parser}: {Cases:N0} cases in {Elapsed.TotalSeconds:F1} s: {Accepted:N0} accepted, {Rejected:N0} rejected with a typed error, {Findings.Count} findings");
        return head + string.Concat(Findings.Take(10).Select(f => $"{Environment.NewLine}  case {f.Case} [{f.Mutations}]: {f.Problem}"));
    }
}

/// <summary>
/// Runs a parser over mutated inputs. Each case must either succeed or throw an exception the judge accepts
/// (typed, naming the file and the field); anything else, or a run that does not finish within the time limit
/// (a hang), is a finding. Cases default to the CI count; <c>UNCOMP_FUZZ_CASES</c> overrides it (e.g. 1000000).
/// </summary>
internal static class FuzzRunner
{
    /// <summary>Cases to run: <c>UNCOMP_FUZZ_CASES</c> when set, else <paramref name="ciDefault"/>.</summary>
    public static long Cases(long ciDefault) =>
        long.TryParse(Environment.GetEnvironmentVariable("UNCOMP_FUZZ_CASES"), NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n > 0 ? n : ciDefault;

    /// <summary>Runs <paramref name="cases"/> cases (in parallel when there are many).</summary>
    /// <param name="parser">Name for the report.</param>
    /// <param name="mutator">The case source.</param>
    /// <param name="seed">Mutation seed.</param>
    /// <param name="cases">Number of cases.</param>
    /// <param name="target">Parses one input; returns normally when it was accepted.</param>
    /// <param name="judge">Null when a thrown exception is an acceptable rejection, else what is wrong with it.</param>
    /// <param name="timeLimit">The whole run must finish within this (a hang is reported with the case it stuck on).</param>
    public static FuzzReport Run(string parser, Mutator mutator, int seed, long cases, Action<byte[]> target, Func<Exception, string?> judge, TimeSpan timeLimit)
    {
        var findings = new ConcurrentBag<FuzzFinding>();
        long accepted = 0, rejected = 0;
        var current = new long[Math.Max(1, Environment.ProcessorCount)];
        var sw = Stopwatch.StartNew();
        int workers = cases >= 100_000 ? Environment.ProcessorCount : 1;
        var worker = new Thread(() => Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            for (long i = w; i < cases; i += workers)
            {
                Volatile.Write(ref current[w], i);
                (byte[] bytes, string mutations) = mutator.Case(seed, i);
                try
                {
                    target(bytes);
                    Interlocked.Increment(ref accepted);
                }
                catch (Exception e)
                {
                    string? problem = judge(e);
                    if (problem is null)
                    {
                        Interlocked.Increment(ref rejected);
                    }
                    else if (findings.Count < 1000)
                    {
                        findings.Add(new FuzzFinding(i, mutations, problem));
                    }
                }
            }
        }))
        {
            IsBackground = true,
            // Deep-nesting cases recurse in some parsers: give them the stack a real process thread has.
        };
        worker.Start();
        if (!worker.Join(timeLimit))
        {
            findings.Add(new FuzzFinding(Volatile.Read(ref current[0]), "?", $"did not finish within {timeLimit.TotalSeconds:F0} s (a hang?) near case {Volatile.Read(ref current[0])}"));
        }

        var sorted = findings.OrderBy(f => f.Case).ToList();
        return new FuzzReport(parser, cases, Interlocked.Read(ref accepted), Interlocked.Read(ref rejected), sw.Elapsed, sorted);
    }

    /// <summary>Describes an exception for a finding: its type, message and the top frame.</summary>
    public static string Describe(Exception e) =>
        $"{e.GetType().Name}: {e.Message} @ {e.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}";
}
