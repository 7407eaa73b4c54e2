using System.CommandLine;
using UNComp.Runtime.Calibration;
using UNComp.Runtime.Profiles;

namespace UNComp.Cli.Commands;

/// <summary>The planning options shared by calibrate, recalibrate and import-authors.</summary>
internal sealed class PlanOptionSet(int defaultBudget)
{
    public Option<int> Groups { get; } = new("--groups") { Description = "Number of head groups G.", DefaultValueFactory = _ => 2 };

    public Option<double> MeanBudget { get; } = new("--mean-budget") { Description = "Mean KV budget S̄ in tokens per cache unit, window included.", DefaultValueFactory = _ => defaultBudget };

    public Option<string> Granularity { get; } = new("--granularity") { Description = "kvHead (default, real memory savings) or queryHead (the authors' layout).", DefaultValueFactory = _ => CacheGranularity.KvHead };

    public Option<bool> AuthorsBudgets { get; } = new("--authors-budgets") { Description = "Use the authors' released budgets [⌊1.5M⌋/2, ⌊1.5M⌋] with M = --mean-budget (G = 2)." };

    public Option<int> Window { get; } = new("--window") { Description = "Observation window w.", DefaultValueFactory = _ => 8 };

    public Option<int> PoolKernel { get; } = new("--pool-kernel") { Description = "Max-pool kernel (odd).", DefaultValueFactory = _ => 7 };

    public Option<double> Epsilon { get; } = new("--epsilon") { Description = "ε of the stage split.", DefaultValueFactory = _ => StagePlanner.DefaultEpsilon };

    public Option<int?> MinKeep { get; } = new("--min-keep") { Description = "Tokens kept by the last stage (default 1536, capped at --max-tokens)." };

    public Option<double?> MinKeepRatio { get; } = new("--min-keep-ratio") { Description = "Ratio mode: tokens kept by the last stage = ratio × max tokens (e.g. 0.375)." };

    public Option<int?> MaxTokens { get; } = new("--max-tokens") { Description = "T_max of the stages (default: the model's max positions)." };

    public Option<bool> NoHiddenStates { get; } = new("--no-hidden-states") { Description = "Disable hidden-state compression (one stage)." };

    public Option<int> Alignment { get; } = new("--align") { Description = "Preferred budget multiple (1 = none).", DefaultValueFactory = _ => BudgetPlanner.DefaultAlignment };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Groups, MeanBudget, Granularity, AuthorsBudgets, Window, PoolKernel, Epsilon, MinKeep, MinKeepRatio, MaxTokens, NoHiddenStates, Alignment })
        {
            command.Options.Add(o);
        }
    }

    public PlanOptions Read(ParseResult parse)
    {
        string granularity = parse.GetValue(Granularity)!;
        if (!CacheGranularity.All.Contains(granularity))
        {
            throw new ArgumentException($"--granularity \"{granularity}\" must be kvHead or queryHead.");
        }

        return new PlanOptions
        {
            GroupCount = parse.GetValue(Groups),
            MeanBudget = parse.GetValue(MeanBudget),
            Granularity = granularity,
            AuthorsBudgets = parse.GetValue(AuthorsBudgets),
            Window = parse.GetValue(Window),
            PoolKernel = parse.GetValue(PoolKernel),
            Epsilon = parse.GetValue(Epsilon),
            MinKeep = parse.GetValue(MinKeep),
            MinKeepRatio = parse.GetValue(MinKeepRatio),
            MaxTokens = parse.GetValue(MaxTokens),
            HiddenStates = !parse.GetValue(NoHiddenStates),
            Alignment = parse.GetValue(Alignment),
        };
    }
}
