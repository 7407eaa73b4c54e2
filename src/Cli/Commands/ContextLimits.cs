using System.Globalization;
using UNComp.Runtime.Models;

namespace UNComp.Cli.Commands;

/// <summary>
/// The CLI's context-limit policy (docs/reliability.md): a prompt longer than the model's context
/// (<c>max_position_embeddings</c>) is refused; prompt + new tokens past it are capped, with a note, so generation
/// stops at the context instead of decoding positions the model never saw.
/// </summary>
/// <param name="MaxLength">Prompt + new tokens the generator is created for.</param>
/// <param name="Note">A line for stderr when the new tokens were capped, else null.</param>
internal readonly record struct ContextLimits(int MaxLength, string? Note)
{
    /// <summary>Limits for <paramref name="prompt"/> plus <paramref name="newTokens"/> on the model of <paramref name="config"/> in <paramref name="directory"/>.</summary>
    /// <exception cref="ArgumentException">The prompt or <c>--max-length</c> exceeds the context.</exception>
    public static ContextLimits For(ModelConfig config, string directory, IReadOnlyCollection<int> prompt, int? maxLength, int newTokens, string newOption)
    {
        int context = config.MaxPositionEmbeddings;
        var c = CultureInfo.InvariantCulture;
        string where = Path.Combine(directory, "config.json");
        if (prompt.Count > context)
        {
            throw new ArgumentException(string.Create(c,
                $"the prompt is {prompt.Count:N0} tokens but the model's context is {context:N0} (max_position_embeddings in {where}); shorten the prompt."));
        }

        if (maxLength is int requested && (requested < 1 || requested > context))
        {
            throw new ArgumentException(string.Create(c, $"--max-length {requested} must be in [1, {context}], the model's context (max_position_embeddings in {where})."));
        }

        long wanted = (long)prompt.Count + newTokens;
        int length = maxLength ?? (int)Math.Clamp(wanted, 1, context);
        if (prompt.Count > length)
        {
            throw new ArgumentException(string.Create(c, $"the prompt is {prompt.Count:N0} tokens but --max-length is {length}; raise --max-length or shorten the prompt."));
        }

        string? note = wanted > length
            ? string.Create(c, $"uncomp: note: prompt {prompt.Count:N0} + {newOption} {newTokens:N0} tokens exceed the limit of {length:N0} (the model's context is {context:N0}); generation stops after {length - prompt.Count:N0} new tokens.")
            : null;
        return new ContextLimits(length, note);
    }
}
