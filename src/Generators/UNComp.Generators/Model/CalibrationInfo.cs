namespace UNComp.Generators.Model
{
    /// <summary>The <c>calibration</c> block: how the profile was measured (documented in the generated class).</summary>
    internal sealed record CalibrationInfo(
        int Samples,
        int Tokens,
        long Seed,
        string Source,
        string Matrix,
        bool PostRope,
        int TruncationK,
        bool Elbow,
        string Tool,
        string CreatedUtc);
}
