using UNComp.Runtime.Generation;

namespace UNComp.Runtime.Serving;

/// <summary>One generation for <see cref="BatchScheduler"/>: prompt ids, token limit, sampling and the ids that end it.</summary>
/// <param name="PromptIds">Prompt token ids (at least one).</param>
/// <param name="MaxNewTokens">Tokens to generate at most (at least one).</param>
/// <param name="Sampling">This request's sampling (greedy, or temperature/top-k/top-p with its own seed).</param>
/// <param name="EosTokenIds">Ids that end the generation (the id itself is reported as generated).</param>
public sealed record BatchRequest(IReadOnlyList<int> PromptIds, int MaxNewTokens, SamplingOptions Sampling, IReadOnlyCollection<int> EosTokenIds);
