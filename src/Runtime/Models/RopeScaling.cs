namespace UNComp.Runtime.Models;

/// <summary>
/// Llama-3 style RoPE frequency scaling (<c>rope_type: "llama3"</c>): low frequencies are divided by
/// <see cref="Factor"/>, high frequencies are kept, the band between is interpolated smoothly.
/// </summary>
/// <param name="Factor">Divisor applied to low frequencies (<c>factor</c>).</param>
/// <param name="LowFreqFactor"><c>low_freq_factor</c>.</param>
/// <param name="HighFreqFactor"><c>high_freq_factor</c>.</param>
/// <param name="OriginalMaxPositionEmbeddings"><c>original_max_position_embeddings</c>.</param>
public sealed record RopeScaling(
    double Factor,
    double LowFreqFactor,
    double HighFreqFactor,
    int OriginalMaxPositionEmbeddings);
