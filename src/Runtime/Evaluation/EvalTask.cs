namespace UNComp.Runtime.Evaluation;

/// <summary>The retrieval tasks of <c>uncomp eval</c>.</summary>
public enum EvalTask
{
    /// <summary>A pass key hidden in repeated filler text.</summary>
    Passkey,

    /// <summary>A needle sentence at a given depth of real haystack text.</summary>
    Needle,

    /// <summary>Several key/value sentences in haystack text; one key is asked for.</summary>
    MultiKey,

    /// <summary>A needle whose answer is free text (random words, letters or digits) after a sentence prefix.</summary>
    TextNeedle,

    /// <summary>RULER multi-value: one key with several values spread over the haystack; all are asked for.</summary>
    MultiValue,

    /// <summary>RULER multi-query: several keys with one value each; the values of some of them are asked for.</summary>
    MultiQuery,

    /// <summary>RULER variable tracking: chains of <c>VAR X = VAR Y</c> assignments; every name bound to a value is asked for.</summary>
    VariableTracking,

    /// <summary>RULER common-word extraction: a numbered word list in which a few words recur often; they are asked for.</summary>
    CommonWords,
}
