namespace UNComp.Generators.Model
{
    /// <summary>
    /// Everything the emitter needs for one valid profile, as plain values (no symbols, no locations), so the
    /// pipeline re-emits only when the generated code would actually change.
    /// </summary>
    internal sealed record ProfileSpec(
        string FileName,
        string Namespace,
        string ClassName,
        string ProfileName,
        ModelDimensions Model,
        CalibrationInfo Calibration,
        CompressionSettings Compression,
        EquatableArray<StageSpec> Stages,
        EquatableArray<LayerSpec> Layers)
    {
        /// <summary><c>Namespace.ClassName</c>, or the class name alone in the global namespace.</summary>
        public string FullName => Namespace.Length == 0 ? ClassName : Namespace + "." + ClassName;

        /// <summary>Cache units per layer: KV heads, or query heads with queryHead granularity.</summary>
        public int UnitsPerLayer => Compression.PerKvHead ? Model.NumKeyValueHeads : Model.NumAttentionHeads;
    }
}
