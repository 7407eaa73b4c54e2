namespace UNComp.Runtime.Evaluation;

/// <summary>What <see cref="EvalRunner"/> measures. Defaults are sized for a few CPU cores (see docs/compression.md).</summary>
public sealed record EvalOptions
{
    /// <summary>Tasks to run.</summary>
    public IReadOnlyList<EvalTask> Tasks { get; init; } = [EvalTask.Passkey, EvalTask.Needle, EvalTask.MultiKey];

    /// <summary>Method names of <see cref="Compression.Methods.CompressionMethods"/> (default: its <c>Compared</c> list).</summary>
    public IReadOnlyList<string> Methods { get; init; } = Compression.Methods.CompressionMethods.Compared;

    /// <summary>Mean KV budgets as fractions of the context length (tokens per cache unit, window included).</summary>
    public IReadOnlyList<double> Budgets { get; init; } = [0.02, 0.05, 0.10, 0.25];

    /// <summary>Context lengths (tokens) of the needle grid; passkey and multi-key use the largest.</summary>
    public IReadOnlyList<int> ContextLengths { get; init; } = [512, 1024, 2048];

    /// <summary>Needle depths in [0, 1].</summary>
    public IReadOnlyList<double> Depths { get; init; } = [0, 0.25, 0.5, 0.75, 1.0];

    /// <summary>Needle samples per (length, depth) cell.</summary>
    public int NeedleSamplesPerCell { get; init; } = 1;

    /// <summary>Passkey prompts.</summary>
    public int PasskeySamples { get; init; } = 10;

    /// <summary>Multi-key prompts.</summary>
    public int MultiKeySamples { get; init; } = 10;

    /// <summary>Greedy tokens generated per prompt at most (stops at eos or a newline).</summary>
    public int MaxNewTokens { get; init; } = 12;

    /// <summary>Seed of every random choice.</summary>
    public int Seed { get; init; } = 2024;

    /// <summary>Prompt templates.</summary>
    public TaskTemplates Templates { get; init; } = TaskTemplates.Default;
}
