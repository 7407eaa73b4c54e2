using UNComp.Runtime.Cuda;

namespace UNComp.Runtime.Gpu;

/// <summary>
/// One prefill layer's projection as an observer sees it on the device: the fp32 q|k|v rows (before bias and RoPE),
/// the bias (0 without), the token positions and RoPE's inverse frequencies.
/// </summary>
internal readonly record struct CudaPrefillLayer(int Layer, int Tokens, DeviceTensor Qkv, ulong Bias, ulong Positions, ulong InverseFrequencies);
