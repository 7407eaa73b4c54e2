using UNComp.Runtime.Compression.Methods;

namespace UNComp.Runtime.Evaluation;

/// <summary>Runs one prompt under one method plan on one engine (CPU or GPU). Not thread-safe; one per worker.</summary>
internal interface IPromptRunner : IDisposable
{
    /// <summary>Greedy decoding after a compressed prefill; stops at eos, a newline after text, or <paramref name="maxNew"/> tokens.</summary>
    GreedyResult Greedy(int[] prompt, CompressionMethodPlan plan, int maxNew, bool captureKept, CancellationToken ct);

    /// <summary>Log-softmax of the next-token distribution before each reference token (teacher forcing).</summary>
    float[][] TeacherForced(int[] prompt, int[] reference, CompressionMethodPlan plan, CancellationToken ct);
}
