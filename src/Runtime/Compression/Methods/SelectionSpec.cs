using System.Globalization;

namespace UNComp.Runtime.Compression.Methods;

/// <summary>
/// What a KV-cache method keeps, as plain values an engine can execute (the CPU engine through
/// <see cref="SpecPolicy"/>, a GPU engine as kernel launches): which score ranks the tokens, how it is pooled,
/// which tokens are reserved (the first <see cref="Sinks"/> and the most recent), and what decode does. Top-k,
/// eviction and the gather are the engine's, written once; a method only chooses these values.
/// </summary>
/// <remarks>
/// Per unit of capacity C (tokens it keeps), with r = <see cref="RecentTokens"/>(C) and s = <see cref="SinkTokens"/>(C):
/// prefill keeps tokens [0, s), the top C − s − r of the pooled scores over [s, L − r), and [L − r, L); decode evicts
/// the lowest pooled score among the cached tokens that are neither sinks nor among the newest r − 1. Ties: the
/// earlier token is kept, the earlier candidate evicted. Full semantics: docs/compression.md.
/// </remarks>
/// <param name="Source">What ranks the tokens.</param>
/// <param name="Window">
/// w: observation-window queries (<see cref="ScoreSource.ObservationWindow"/>; also how many recent queries per
/// query head the cache keeps for decode re-scoring). 0 for other sources.
/// </param>
/// <param name="Kernel">Pooling kernel (odd; an even kernel acts as the next odd size); 1 with no pooling.</param>
/// <param name="Pool">Pooling of the scores before top-k, over the scored region only.</param>
/// <param name="Sinks">First tokens always kept (StreamingLLM's attention sinks), at most C − max(r, 1).</param>
/// <param name="Recent">Most recent tokens always kept (at least; see <paramref name="RecentFraction"/>).</param>
/// <param name="Decode">Fixed-size re-selection or grow.</param>
/// <param name="RecentFraction">
/// Share of each unit's capacity reserved for recent tokens (H2O: 0.5): r = min(C, max(Recent, round(C × fraction)))
/// with rounding half away from zero. 0 = only <paramref name="Recent"/>.
/// </param>
public readonly record struct SelectionSpec(
    ScoreSource Source,
    int Window,
    int Kernel,
    PoolingKind Pool,
    int Sinks,
    int Recent,
    DecodeMode Decode,
    double RecentFraction = 0)
{
    /// <summary>The attention statistics the engine must compute for this spec (prefill and decode).</summary>
    public AttentionStatsRequest Request => Source switch
    {
        ScoreSource.ObservationWindow => new AttentionStatsRequest(Window),
        ScoreSource.AccumulatedAttention => new AttentionStatsRequest(0, NeedColumnSumsAllQueries: true, KeepAccumulatedScoresDuringDecode: true),
        _ => AttentionStatsRequest.None,
    };

    /// <summary>r: the most recent tokens a unit of <paramref name="capacity"/> always keeps.</summary>
    public int RecentTokens(int capacity)
    {
        int share = RecentFraction > 0 ? (int)Math.Round(capacity * RecentFraction, MidpointRounding.AwayFromZero) : 0;
        return Math.Clamp(Math.Max(Recent, share), 0, Math.Max(0, capacity));
    }

    /// <summary>
    /// s: the first tokens a unit of <paramref name="capacity"/> always keeps — what the recent tokens leave, never
    /// the unit's last slot (which the newest token needs): min(Sinks, max(0, C − max(r, 1))).
    /// </summary>
    public int SinkTokens(int capacity) => Math.Min(Sinks, Math.Max(0, capacity - Math.Max(RecentTokens(capacity), 1)));

    /// <summary>Checks every field; the message names the field and the fix.</summary>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(Source) || !Enum.IsDefined(Pool) || !Enum.IsDefined(Decode))
        {
            throw new ArgumentException($"selection spec {this}: Source, Pool and Decode must be defined enum values.");
        }

        if (Window < 0 || (Source == ScoreSource.ObservationWindow && Window < 1))
        {
            throw new ArgumentException($"selection spec {this}: Window is {Window}; it must be ≥ 1 for observation-window scores and ≥ 0 otherwise.");
        }

        if (Kernel < 1)
        {
            throw new ArgumentException($"selection spec {this}: Kernel is {Kernel}; use 1 for no pooling.");
        }

        if (Sinks < 0 || Recent < 0)
        {
            throw new ArgumentException($"selection spec {this}: Sinks ({Sinks}) and Recent ({Recent}) must be ≥ 0.");
        }

        if (!(RecentFraction >= 0 && RecentFraction <= 1))
        {
            throw new ArgumentException($"selection spec {this}: RecentFraction is {RecentFraction.ToString(CultureInfo.InvariantCulture)}; it must be in [0, 1].");
        }
    }

    /// <summary>A compact, culture-invariant description for reports, e.g. <c>window(w=8) max-pool 7, recent 8, fixed</c>.</summary>
    public string Describe()
    {
        string score = Source switch
        {
            ScoreSource.ObservationWindow => $"window(w={Window})",
            ScoreSource.AccumulatedAttention => "accumulated attention",
            ScoreSource.KeyNorm => "key norm",
            _ => "recency",
        };
        string pool = Pool == PoolingKind.None || Kernel <= 1 ? string.Empty : $" {(Pool == PoolingKind.Max ? "max" : "avg")}-pool {Kernel}";
        string sinks = Sinks > 0 ? $", sinks {Sinks}" : string.Empty;
        string recent = RecentFraction > 0
            ? $", recent max({Recent}, {RecentFraction.ToString("0.##", CultureInfo.InvariantCulture)}·C)"
            : Recent > 0 ? $", recent {Recent}" : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"{score}{pool}{sinks}{recent}, {(Decode == DecodeMode.Grow ? "grow" : "fixed")}");
    }
}
