using UNComp.Runtime.Cache;

namespace UNComp.Runtime.Evaluation;

/// <summary>The prompt positions each cache unit holds, as the evaluation reports them.</summary>
public static class KeptPositions
{
    /// <summary>Copies every (layer, unit)'s positions, in slot order (ascending after prefill).</summary>
    public static int[][][] Capture(KvCache cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        var layout = cache.Layout;
        var result = new int[layout.Layers][][];
        for (int layer = 0; layer < layout.Layers; layer++)
        {
            result[layer] = new int[layout.UnitsPerLayer][];
            for (int unit = 0; unit < layout.UnitsPerLayer; unit++)
            {
                result[layer][unit] = cache.Positions(layer, unit).ToArray();
            }
        }

        return result;
    }
}
