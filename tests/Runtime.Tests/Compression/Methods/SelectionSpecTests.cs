using UNComp.Runtime.Compression;
using UNComp.Runtime.Compression.Methods;

namespace UNComp.Runtime.Tests.Compression.Methods;

/// <summary>The reserved-token rules and the executor's semantics on hand-made scores.</summary>
public class SelectionSpecTests
{
    [Theory]
    [InlineData(0, 0.0, 10, 0)]
    [InlineData(8, 0.0, 10, 8)]
    [InlineData(8, 0.0, 5, 5)]     // never more than the capacity
    [InlineData(1, 0.5, 10, 5)]    // H2O: half
    [InlineData(1, 0.5, 7, 4)]     // 3.5 rounds away from zero
    [InlineData(1, 0.5, 1, 1)]     // at least Recent
    [InlineData(3, 0.1, 10, 3)]    // Recent wins over a smaller share
    public void RecentTokens_MaxOfCountAndRoundedShare_CappedByCapacity(int recent, double fraction, int capacity, int expected) =>
        Assert.Equal(expected, new SelectionSpec(ScoreSource.None, 0, 1, PoolingKind.None, 0, recent, DecodeMode.Fixed, fraction).RecentTokens(capacity));

    [Theory]
    [InlineData(4, 0, 10, 4)]
    [InlineData(4, 0, 3, 2)]   // no recent part: the last slot stays free for the newest token
    [InlineData(4, 0, 1, 0)]
    [InlineData(4, 8, 10, 2)]  // sinks take what the recent part leaves
    [InlineData(4, 8, 8, 0)]
    public void SinkTokens_LeaveRoomForRecentAndTheNewestToken(int sinks, int recent, int capacity, int expected) =>
        Assert.Equal(expected, new SelectionSpec(ScoreSource.None, 0, 1, PoolingKind.None, sinks, recent, DecodeMode.Fixed).SinkTokens(capacity));

    [Fact]
    public void SelectPrefill_SinksTopKOverMiddleAndRecent_PoolingStaysInsideTheScoredRegion()
    {
        // 12 tokens, keep 6: sinks [0, 2), recent [9, 12), one scored token from [2, 9).
        var spec = new SelectionSpec(ScoreSource.ObservationWindow, 3, 3, PoolingKind.Max, 2, 3, DecodeMode.Fixed);
        //                 0    1    2    3    4    5    6    7    8    9    10   11
        float[] scores = [99f, 99f, 0.1f, 0.2f, 0.3f, 0.1f, 0.1f, 0.5f, 0.1f, 50f, 50f, 50f];
        var keep = new int[6];
        SpecSelection.SelectPrefill(spec, scores, keep);

        // Pooled middle: 3→0.3, 4→0.3, 5→0.3, 6→0.5, 7→0.5, 8→0.5 (token 9's 50 is outside the region), 2→0.2;
        // the tie between 6, 7 and 8 goes to the earliest.
        Assert.Equal([0, 1, 6, 9, 10, 11], keep);
    }

    [Fact]
    public void SelectPrefill_Recency_KeepsSinksAndNewest()
    {
        var keep = new int[6];
        var ctx = new PrefillSelectionContext(0, 0, 6, 1, 0, Enumerable.Range(0, 20).ToArray(), default, default);
        new SpecPolicy("streamingllm", StreamingLlmMethod.Spec).SelectPrefill(ctx, keep);
        Assert.Equal([0, 1, 2, 3, 18, 19], keep);
    }

    [Fact]
    public void DecodeCandidates_ExcludeSinksAndTheNewestRecentMinusOne()
    {
        Assert.Equal((0, 5), SpecSelection.DecodeCandidates(SnapKvMethod.Spec with { Window = 4, Recent = 4 }, 8, 8));
        Assert.Equal((4, 8), SpecSelection.DecodeCandidates(StreamingLlmMethod.Spec, 8, 8));
        Assert.Equal((0, 1), SpecSelection.DecodeCandidates(SnapKvMethod.Spec, 8, 8)); // window ≥ capacity: the oldest goes
        Assert.Equal((0, 5), SpecSelection.DecodeCandidates(H2OMethod.Spec, 8, 8));     // recent 4: the newest 3 cached are protected
    }

    [Fact]
    public void Request_FollowsTheScoreSource()
    {
        Assert.Equal(new AttentionStatsRequest(32), SnapKvMethod.Spec.Request);
        Assert.Equal(new AttentionStatsRequest(0, true, true), H2OMethod.Spec.Request);
        Assert.Equal(AttentionStatsRequest.None, StreamingLlmMethod.Spec.Request);
        Assert.Equal(AttentionStatsRequest.None, KnormMethod.Spec.Request);
    }

    [Theory]
    [InlineData(ScoreSource.ObservationWindow, 0, 7, 0, 0, 0.0, "Window")]
    [InlineData(ScoreSource.None, 0, 0, 0, 0, 0.0, "Kernel")]
    [InlineData(ScoreSource.None, 0, 1, -1, 0, 0.0, "Sinks")]
    [InlineData(ScoreSource.None, 0, 1, 0, 0, 1.5, "RecentFraction")]
    public void Validate_NamesTheBadField(ScoreSource source, int window, int kernel, int sinks, int recent, double fraction, string field)
    {
        var spec = new SelectionSpec(source, window, kernel, PoolingKind.None, sinks, recent, DecodeMode.Fixed, fraction);
        var e = Assert.Throws<ArgumentException>(spec.Validate);
        Assert.Contains(field, e.Message);
    }

    [Fact]
    public void SpecPolicy_GrowTokensWithFixedMode_IsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new SpecPolicy("snapkv", SnapKvMethod.Spec, growTokens: 4));
        Assert.Contains("DecodeMode.Grow", e.Message);
    }

    [Fact]
    public void Specs_AreValuesComparedByContent()
    {
        Assert.Equal(SnapKvMethod.Spec, new SelectionSpec(ScoreSource.ObservationWindow, 32, 7, PoolingKind.Max, 0, 32, DecodeMode.Fixed));
        Assert.Equal(new HiddenStateSpec([int.MaxValue, 10], 8, true), new HiddenStateSpec([int.MaxValue, 10], 8, true));
        Assert.NotEqual(new HiddenStateSpec([int.MaxValue, 10], 8, true), new HiddenStateSpec([int.MaxValue, 11], 8, true));
        Assert.Equal("window(w=32) max-pool 7, recent 32, fixed", SnapKvMethod.Spec.Describe());
        Assert.Equal("accumulated attention, recent max(1, 0.5·C), fixed", H2OMethod.Spec.Describe());
    }
}
