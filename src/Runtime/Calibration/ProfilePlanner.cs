using UNComp.Runtime.Profiles;

namespace UNComp.Runtime.Calibration;

/// <summary>Turns per-layer calibration summaries into a complete, validated <see cref="UncompProfile"/>.</summary>
public static class ProfilePlanner
{
    /// <summary>Builds the profile.</summary>
    /// <exception cref="ArgumentException">The options do not fit the model (e.g. more groups than units).</exception>
    public static UncompProfile Build(string name, ProfileModel model, ProfileCalibration calibration, IReadOnlyList<LayerSummary> layers, PlanOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(calibration);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(options);
        if (layers.Count != model.NumLayers)
        {
            throw new ArgumentException($"{layers.Count} layer summaries for a model of {model.NumLayers} layers.", nameof(layers));
        }

        bool kv = options.Granularity == CacheGranularity.KvHead;
        if (!kv && options.Granularity != CacheGranularity.QueryHead)
        {
            throw new ArgumentException($"Granularity \"{options.Granularity}\" must be kvHead or queryHead.", nameof(options));
        }

        int groupCount = options.GroupCount;
        if (options.AuthorsBudgets && groupCount != 2)
        {
            throw new ArgumentException("The authors' budget formula exists for two groups only; use --groups 2.", nameof(options));
        }

        var weights = (options.GroupWeights ?? BudgetPlanner.ArithmeticWeights(groupCount)).ToArray();
        if (weights.Length != groupCount)
        {
            throw new ArgumentException($"{weights.Length} group weights for {groupCount} groups.", nameof(options));
        }

        var profileLayers = new ProfileLayer[layers.Count];
        long budgetSum = 0, unitsSeen = 0;
        for (int l = 0; l < layers.Count; l++)
        {
            var summary = layers[l];
            var votes = kv ? HeadGroupPlanner.KvHeadVotes(summary.QueryVotes, model.NumKeyValueHeads) : summary.QueryVotes.ToArray();
            var groups = HeadGroupPlanner.Assign(votes, groupCount);
            var plan = options.AuthorsBudgets
                ? BudgetPlanner.PlanAuthorsCompatible(groups, (int)options.MeanBudget)
                : BudgetPlanner.Plan(groups, options.MeanBudget, weights, options.Window, options.Alignment);
            budgetSum += plan.Budgets.Sum();
            unitsSeen += plan.Budgets.Count;
            profileLayers[l] = new ProfileLayer
            {
                Layer = l,
                Score = Math.Round(summary.Score, 4),
                Entropy = summary.MeanEntropy.Select(e => Math.Round(e, 6)).ToArray(),
                Groups = groups,
                Budgets = plan.Budgets.ToArray(),
            };
        }

        int maxTokens = options.MaxTokens ?? model.MaxPositionEmbeddings;
        int minKeep = options.MinKeepRatio is double r
            ? Math.Max(1, (int)Math.Floor(r * maxTokens))
            : Math.Min(options.MinKeep ?? StagePlanner.DefaultMinKeep, maxTokens);
        IReadOnlyList<(int First, int Last)> ranges = !options.HiddenStates
            ? [(0, model.NumLayers - 1)]
            : options.Stages ?? StagePlanner.Split(layers.Select(s => s.Score).ToArray(), options.Epsilon);
        var keep = options.HiddenStates ? StagePlanner.KeepLengths(ranges.Count, maxTokens, minKeep) : [maxTokens];
        var stages = ranges.Select((s, i) => new ProfileStage { FirstLayer = s.First, LastLayer = s.Last, KeepTokens = keep[i] }).ToArray();

        var profile = new UncompProfile
        {
            Format = UncompProfile.FormatId,
            Name = name,
            Model = model,
            Calibration = calibration,
            Compression = new ProfileCompression
            {
                Method = "uncomp",
                Granularity = options.Granularity,
                Window = options.Window,
                PoolKernel = options.PoolKernel,
                MeanBudget = options.AuthorsBudgets ? (double)budgetSum / unitsSeen : options.MeanBudget,
                GroupCount = groupCount,
                GroupWeights = options.AuthorsBudgets ? [1.0 / 1.5, 2.0 / 1.5] : weights,
                Decode = options.Decode,
                HiddenStates = new ProfileHiddenStates
                {
                    Enabled = options.HiddenStates,
                    Epsilon = options.Epsilon,
                    MinKeep = minKeep,
                    MaxTokens = maxTokens,
                    KeepWindow = options.KeepWindow,
                },
            },
            Stages = stages,
            Layers = profileLayers,
        };

        var problems = ProfileValidator.Validate(profile);
        if (problems.Count > 0)
        {
            throw new ArgumentException("The plan does not make a valid profile:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => "  " + p)), nameof(options));
        }

        return profile;
    }
}
