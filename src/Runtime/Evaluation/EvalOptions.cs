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

    /// <summary>
    /// Context lengths of the tasks that are not a depth grid (passkey, multi-key and the RULER-style tasks);
    /// empty = the largest of <see cref="ContextLengths"/>. Each task gets its sample count at every length.
    /// </summary>
    public IReadOnlyList<int> SampleLengths { get; init; } = [];

    /// <summary>Prompts per length of each RULER-style task (multi-value, multi-query, variable tracking, common words).</summary>
    public int RulerSamples { get; init; } = 10;

    /// <summary>Prompts evaluated at once, each on its own engine and single-threaded backend (1 = one prompt at a time on the shared backend).</summary>
    public int Parallelism { get; init; } = 1;

    /// <summary>
    /// Also measure teacher-forced fidelity: the reference answer is fed token by token under the full and the
    /// compressed cache, and the run records KL(full ‖ compressed) and the rank of each reference token (a second prefill per run).
    /// </summary>
    public bool Fidelity { get; init; }

    /// <summary>Record the prompt ids and every cache unit's kept positions after prefill in each record (for tools/crosscheck).</summary>
    public bool RecordKeptPositions { get; init; }

    /// <summary>Greedy tokens generated per prompt at most (stops at eos or a newline); multi-item answers get at least their reference length + 4.</summary>
    public int MaxNewTokens { get; init; } = 12;

    /// <summary>Seed of every random choice.</summary>
    public int Seed { get; init; } = 2024;

    /// <summary>Prompt templates.</summary>
    public TaskTemplates Templates { get; init; } = TaskTemplates.Default;
}
