namespace UNComp.Runtime.Evaluation;

/// <summary>The result file of <c>uncomp eval</c> (docs/results/results.json).</summary>
public sealed record EvalReport
{
    /// <summary>Model directory name.</summary>
    public required string Model { get; init; }

    /// <summary>Profile name used by the uncomp methods, or null.</summary>
    public string? Profile { get; init; }

    /// <summary>Cache unit granularity of the uncomp methods (baselines always use KV heads).</summary>
    public string? ProfileGranularity { get; init; }

    /// <summary>When the run started (UTC, ISO 8601).</summary>
    public required string StartedUtc { get; init; }

    /// <summary>Wall-clock seconds of the whole run.</summary>
    public double Seconds { get; init; }

    /// <summary>Processor count of the machine.</summary>
    public int ProcessorCount { get; init; }

    /// <summary>The settings of the run.</summary>
    public required EvalSettings Settings { get; init; }

    /// <summary>Accuracy per task, method and budget.</summary>
    public required IReadOnlyList<EvalSummary> Summaries { get; init; }

    /// <summary>Every single run.</summary>
    public required IReadOnlyList<EvalRecord> Records { get; init; }
}

/// <summary>The grid of an evaluation.</summary>
public sealed record EvalSettings
{
    /// <summary>Tasks.</summary>
    public required IReadOnlyList<string> Tasks { get; init; }

    /// <summary>Methods.</summary>
    public required IReadOnlyList<string> Methods { get; init; }

    /// <summary>Mean budgets as fractions of the context.</summary>
    public required IReadOnlyList<double> Budgets { get; init; }

    /// <summary>Needle context lengths.</summary>
    public required IReadOnlyList<int> ContextLengths { get; init; }

    /// <summary>Needle depths.</summary>
    public required IReadOnlyList<double> Depths { get; init; }

    /// <summary>Needle samples per cell.</summary>
    public int NeedleSamplesPerCell { get; init; }

    /// <summary>Passkey prompts.</summary>
    public int PasskeySamples { get; init; }

    /// <summary>Multi-key prompts.</summary>
    public int MultiKeySamples { get; init; }

    /// <summary>Lengths of the passkey, multi-key and RULER-style prompts.</summary>
    public IReadOnlyList<int> SampleLengths { get; init; } = [];

    /// <summary>RULER-style prompts per task and length.</summary>
    public int RulerSamples { get; init; }

    /// <summary>Prompts evaluated at once.</summary>
    public int Parallelism { get; init; } = 1;

    /// <summary>Whether teacher-forced fidelity was measured.</summary>
    public bool Fidelity { get; init; }

    /// <summary>Greedy tokens per answer at most.</summary>
    public int MaxNewTokens { get; init; }

    /// <summary>Seed.</summary>
    public int Seed { get; init; }
}

/// <summary>Accuracy of one (task, method, budget).</summary>
public sealed record EvalSummary
{
    /// <summary>Task.</summary>
    public required string Task { get; init; }

    /// <summary>Requested context length of the prompts (0 = every length the task ran at).</summary>
    public int ContextLength { get; init; }

    /// <summary>Method.</summary>
    public required string Method { get; init; }

    /// <summary>Mean budget as a fraction of the context (1 for the full cache).</summary>
    public double Budget { get; init; }

    /// <summary>Prompts.</summary>
    public int Samples { get; init; }

    /// <summary>Prompts answered correctly.</summary>
    public int Correct { get; init; }

    /// <summary>Fraction answered correctly.</summary>
    public double Accuracy { get; init; }

    /// <summary>Lower end of the 95 % Wilson interval of <see cref="Accuracy"/>.</summary>
    public double Low { get; init; }

    /// <summary>Upper end of the 95 % Wilson interval of <see cref="Accuracy"/>.</summary>
    public double High { get; init; }

    /// <summary>Mean teacher-forced KL(full ‖ compressed) in nats per answer token (fidelity runs only).</summary>
    public double? MeanKl { get; init; }

    /// <summary>Mean rank of the reference token under this method's cache (0 = top; fidelity runs only).</summary>
    public double? MeanReferenceRank { get; init; }

    /// <summary>Accuracy divided by the full cache's on the same prompts (null when full scored 0 or did not run).</summary>
    public double? RelativeToFull { get; init; }

    /// <summary>Mean KV bytes allocated per prompt.</summary>
    public double MeanKvBytes { get; init; }

    /// <summary>Mean KV bytes as a fraction of the full cache of the prompt.</summary>
    public double MeanKvFraction { get; init; }

    /// <summary>Mean prefill milliseconds.</summary>
    public double MeanPrefillMs { get; init; }
}

/// <summary>One prompt under one method and budget.</summary>
public sealed record EvalRecord
{
    /// <summary>Task.</summary>
    public required string Task { get; init; }

    /// <summary>Method.</summary>
    public required string Method { get; init; }

    /// <summary>Mean budget as a fraction of the context (1 for full).</summary>
    public double Budget { get; init; }

    /// <summary>Sample index.</summary>
    public int Index { get; init; }

    /// <summary>Requested context length.</summary>
    public int ContextLength { get; init; }

    /// <summary>Actual prompt tokens.</summary>
    public int PromptTokens { get; init; }

    /// <summary>Depth of the needle / asked key.</summary>
    public double Depth { get; init; }

    /// <summary>Expected answer.</summary>
    public required string Answer { get; init; }

    /// <summary>Generated text.</summary>
    public required string Output { get; init; }

    /// <summary>Whether the first number in the output equals the answer.</summary>
    public bool Correct { get; init; }

    /// <summary>Mean tokens per cache unit of the plan.</summary>
    public double MeanTokensPerUnit { get; init; }

    /// <summary>KV bytes the cache allocated.</summary>
    public long KvBytes { get; init; }

    /// <summary>KV bytes of a full cache for prompt + new tokens.</summary>
    public long FullKvBytes { get; init; }

    /// <summary>Prefill milliseconds.</summary>
    public double PrefillMs { get; init; }

    /// <summary>Teacher-forced KL(full ‖ this cache) in nats, mean over the reference answer tokens (fidelity runs).</summary>
    public double? Kl { get; init; }

    /// <summary>Mean rank of the reference answer token among all tokens (0 = greedy choice; fidelity runs).</summary>
    public double? ReferenceRank { get; init; }

    /// <summary>Prompt token ids (only with <see cref="EvalOptions.RecordKeptPositions"/>).</summary>
    public IReadOnlyList<int>? PromptIds { get; init; }

    /// <summary>Kept prompt positions after prefill per layer and cache unit (only with <see cref="EvalOptions.RecordKeptPositions"/>).</summary>
    public IReadOnlyList<IReadOnlyList<IReadOnlyList<int>>>? KeptPositions { get; init; }
}
