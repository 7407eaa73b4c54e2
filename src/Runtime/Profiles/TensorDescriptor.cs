namespace UNComp.Runtime.Profiles;

/// <summary>A weight tensor as the fingerprint sees it: name, safetensors dtype string and shape.</summary>
/// <param name="Name">Tensor name, e.g. <c>model.layers.0.self_attn.q_proj.weight</c>.</param>
/// <param name="DType">safetensors dtype string: F32, F16, BF16, …</param>
/// <param name="Shape">Dimensions, outermost first.</param>
public sealed record TensorDescriptor(string Name, string DType, IReadOnlyList<long> Shape);
