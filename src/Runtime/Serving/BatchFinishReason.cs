namespace UNComp.Runtime.Serving;

/// <summary>Why a scheduled generation ended.</summary>
public enum BatchFinishReason
{
    /// <summary>Still waiting or generating.</summary>
    None,

    /// <summary>An end-of-sequence id was generated.</summary>
    EndOfSequence,

    /// <summary>The request's MaxNewTokens were generated.</summary>
    MaxNewTokens,

    /// <summary>The slot's sequence limit was reached.</summary>
    ContextLimit,

    /// <summary>Cancelled by the caller (e.g. the client disconnected) while waiting or generating.</summary>
    Cancelled,

    /// <summary>The engine failed; <see cref="ScheduledGeneration.Fault"/> says why.</summary>
    Faulted,
}
