namespace UNComp.Runtime.Evaluation;

/// <summary>The result of <c>uncomp eval --diagnose</c>: which layers and heads lose answers, and what they keep.</summary>
public sealed record DiagnosisReport
{
    /// <summary>Model directory name.</summary>
    public required string Model { get; init; }

    /// <summary>Profile name used by the uncomp methods, or null.</summary>
    public string? Profile { get; init; }

    /// <summary>When the run started (UTC, ISO 8601).</summary>
    public required string StartedUtc { get; init; }

    /// <summary>Wall-clock seconds.</summary>
    public double Seconds { get; init; }

    /// <summary>Tasks of the prompts.</summary>
    public required IReadOnlyList<string> Tasks { get; init; }

    /// <summary>Prompts per row.</summary>
    public int Samples { get; init; }

    /// <summary>Sink tokens counted as "sink" (the first positions of the prompt).</summary>
    public int SinkTokens { get; init; }

    /// <summary>Distance in tokens from an answer span counted as "near".</summary>
    public int NearTokens { get; init; }

    /// <summary>Last prompt tokens counted as "tail" (question and observation window).</summary>
    public int TailTokens { get; init; }

    /// <summary>Accuracy with one layer (or one cache unit) compressed and every other at full size.</summary>
    public required IReadOnlyList<LayerDiagnosis> Accuracy { get; init; }

    /// <summary>Where each cache unit's kept tokens lie when every layer is compressed.</summary>
    public required IReadOnlyList<UnitLocation> Locations { get; init; }
}

/// <summary>Accuracy of one (method, budget) with only <see cref="Layer"/> (and <see cref="Unit"/>) compressed.</summary>
public sealed record LayerDiagnosis
{
    /// <summary>Method.</summary>
    public required string Method { get; init; }

    /// <summary>Mean budget as a fraction of the prompt.</summary>
    public double Budget { get; init; }

    /// <summary>Compressed layer; -1 = every layer (the method as it runs), -2 = none (full cache).</summary>
    public int Layer { get; init; }

    /// <summary>Compressed cache unit of the layer; -1 = every unit of it.</summary>
    public int Unit { get; init; }

    /// <summary>Prompts.</summary>
    public int Samples { get; init; }

    /// <summary>Prompts answered correctly.</summary>
    public int Correct { get; init; }

    /// <summary>Accuracy.</summary>
    public double Accuracy { get; init; }

    /// <summary>Lower end of the 95 % Wilson interval.</summary>
    public double Low { get; init; }

    /// <summary>Upper end of the 95 % Wilson interval.</summary>
    public double High { get; init; }
}

/// <summary>Where one cache unit's kept prompt tokens lie relative to the answer (means over prompts).</summary>
public sealed record UnitLocation
{
    /// <summary>Method.</summary>
    public required string Method { get; init; }

    /// <summary>Mean budget as a fraction of the prompt.</summary>
    public double Budget { get; init; }

    /// <summary>Layer.</summary>
    public int Layer { get; init; }

    /// <summary>Cache unit (KV head, or query head in query-head profiles).</summary>
    public int Unit { get; init; }

    /// <summary>Mean kept tokens.</summary>
    public double Kept { get; init; }

    /// <summary>Share of the answer-span tokens that the unit kept (null when no prompt had its answer span found).</summary>
    public double? AnswerRecall { get; init; }

    /// <summary>Share of kept tokens inside an answer span.</summary>
    public double ShareAnswer { get; init; }

    /// <summary>Share of kept tokens within <see cref="DiagnosisReport.NearTokens"/> of an answer span.</summary>
    public double ShareNear { get; init; }

    /// <summary>Share of kept tokens among the first <see cref="DiagnosisReport.SinkTokens"/>.</summary>
    public double ShareSink { get; init; }

    /// <summary>Share of kept tokens among the last <see cref="DiagnosisReport.TailTokens"/>.</summary>
    public double ShareTail { get; init; }

    /// <summary>Share of kept tokens elsewhere.</summary>
    public double ShareOther { get; init; }
}
