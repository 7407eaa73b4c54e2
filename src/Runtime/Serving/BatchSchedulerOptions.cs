namespace UNComp.Runtime.Serving;

/// <summary>Admission settings of a <see cref="BatchScheduler"/>.</summary>
public sealed record BatchSchedulerOptions
{
    /// <summary>Requests that may wait for a free slot; a further one is refused (<see cref="BatchScheduler.TrySubmit"/> returns null).</summary>
    public int MaxWaiting { get; init; } = 8;

    /// <summary>
    /// Prompt tokens prefilled between two decode steps: once this many were prefilled, waiting requests wait for the
    /// next step, so running generations keep advancing while a burst of long prompts arrives. The first prefill of a
    /// step always runs, however long.
    /// </summary>
    public int PrefillTokensPerStep { get; init; } = 8192;

    /// <summary>Whether disposing the scheduler disposes its engine.</summary>
    public bool OwnsEngine { get; init; } = true;
}
