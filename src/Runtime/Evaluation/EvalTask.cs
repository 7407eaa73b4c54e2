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
}
