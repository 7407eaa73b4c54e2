namespace UNComp.Runtime.Models;

/// <summary>Options of <see cref="LlamaModel.Load(string, ModelLoadOptions, CancellationToken)"/>.</summary>
public sealed record ModelLoadOptions
{
    /// <summary>The defaults: weights are scanned for NaN/Inf.</summary>
    public static ModelLoadOptions Default { get; } = new();

    /// <summary>
    /// Scan every weight tensor for NaN and ±Inf after conversion to fp32 and refuse the model, naming the tensor
    /// and the element, when one is found (default on). A corrupt checkpoint otherwise decodes garbage silently.
    /// The scan is vectorised and costs one pass over the weights (measured in docs/reliability.md).
    /// </summary>
    public bool CheckFiniteWeights { get; init; } = true;
}
