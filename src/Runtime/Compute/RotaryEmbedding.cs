using UNComp.Runtime.Models;

namespace UNComp.Runtime.Compute;

/// <summary>RoPE inverse frequencies, computed in fp32 as Hugging Face transformers does (incl. llama3 scaling).</summary>
public static class RotaryEmbedding
{
    /// <summary>invFreq[i] for i &lt; headDim/2.</summary>
    public static float[] InverseFrequencies(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return InverseFrequencies(config.HeadDim, config.RopeTheta, config.RopeScaling);
    }

    /// <summary>invFreq[i] = 1 / theta^(2i/d), then llama3 scaling when given.</summary>
    public static float[] InverseFrequencies(int headDim, double theta, RopeScaling? scaling)
    {
        int half = headDim / 2;
        var inv = new float[half];
        for (int i = 0; i < half; i++)
        {
            float exponent = (float)(2 * i) / headDim;
            inv[i] = 1f / (float)Math.Pow(theta, exponent);
        }

        if (scaling is null)
        {
            return inv;
        }

        float factor = (float)scaling.Factor;
        float low = (float)scaling.LowFreqFactor;
        float high = (float)scaling.HighFreqFactor;
        float old = scaling.OriginalMaxPositionEmbeddings;
        double lowWavelen = scaling.OriginalMaxPositionEmbeddings / scaling.LowFreqFactor;
        double highWavelen = scaling.OriginalMaxPositionEmbeddings / scaling.HighFreqFactor;
        for (int i = 0; i < half; i++)
        {
            float wavelen = 2f * MathF.PI / inv[i];
            float llama = wavelen > lowWavelen ? inv[i] / factor : inv[i];
            bool medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
            if (medium)
            {
                float smooth = ((old / wavelen) - low) / (high - low);
                llama = ((1 - smooth) * llama / factor) + (smooth * llama);
            }

            inv[i] = llama;
        }

        return inv;
    }
}
