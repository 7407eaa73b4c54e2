namespace UNComp.Runtime.Compression;

/// <summary>Sees every layer's Q/K/V during prefill (calibration collects post-RoPE queries through this).</summary>
public interface IPrefillObserver
{
    /// <summary>When true the engine also keeps a copy of the queries before RoPE.</summary>
    bool WantsPreRope { get; }

    /// <summary>Called once per layer after RoPE, before attention.</summary>
    void OnLayer(in LayerActivations activations);
}
