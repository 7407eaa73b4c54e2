namespace UNComp.Generators.Model
{
    /// <summary>
    /// Which parts of <c>UNComp.Runtime</c> the consuming compilation references. The constants are emitted always;
    /// the loader and the forward pass only when the runtime is there to call, the GPU loader only when the
    /// runtime has the CUDA engine.
    /// </summary>
    internal sealed record RuntimeSupport(bool HasRuntime, bool HasUncompPolicy, bool HasCudaEngine = false)
    {
        public const string EngineType = "UNComp.Runtime.Generation.InferenceEngine";
        public const string FingerprintType = "UNComp.Runtime.Profiles.ModelFingerprint";
        public const string LayoutType = "UNComp.Runtime.Cache.KvCacheLayout";
        public const string PolicyType = "UNComp.Runtime.Compression.UncompPolicy";
        public const string PrunerType = "UNComp.Runtime.Compression.UncompHiddenStatePruner";
        public const string CompressionType = "UNComp.Runtime.Compression.UncompCompression";
        public const string CudaEngineType = "UNComp.Runtime.Gpu.CudaEngine";

        public static RuntimeSupport None { get; } = new RuntimeSupport(false, false);
    }
}
