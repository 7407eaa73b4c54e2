using System.Text;
using Microsoft.Extensions.AI;

namespace UNComp.Runtime.Generation;

/// <summary>
/// A plain-text chat template for models without one of their own: each message becomes
/// <c>"&lt;Role&gt;: &lt;text&gt;\n"</c> with Role = System, User or Assistant (other roles keep their name), and the
/// prompt ends with <c>"Assistant:"</c>, which the model continues. Generation also stops at a line starting with
/// <c>"User:"</c>.
/// </summary>
public class ChatTemplate
{
    /// <summary>The default template.</summary>
    public static ChatTemplate Plain { get; } = new();

    /// <summary>Text generation stops at (checked on the decoded reply); empty for none.</summary>
    public virtual string StopText => "\nUser:";

    /// <summary>
    /// Whether the formatted prompt is encoded with the tokenizer's special tokens (BOS) added: true for this plain
    /// template, false for model templates whose text already holds them.
    /// </summary>
    public virtual bool AddSpecialTokens => true;

    /// <summary>
    /// Whether the template shows the request's tools to the model, so a reply may hold tool calls to parse
    /// (<see cref="ToolCallParser"/>); false for this plain template, which ignores tools.
    /// </summary>
    public virtual bool SupportsTools => false;

    /// <summary>Formats the conversation with the request's options (tools, template switches); the plain template ignores them.</summary>
    public virtual string Format(IEnumerable<ChatMessage> messages, ChatOptions? options) => Format(messages);

    /// <summary>Formats the conversation into the prompt text.</summary>
    public virtual string Format(IEnumerable<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var sb = new StringBuilder();
        foreach (var m in messages)
        {
            sb.Append(RoleName(m.Role)).Append(": ").Append(m.Text.Trim()).Append('\n');
        }

        sb.Append("Assistant:");
        return sb.ToString();
    }

    /// <summary>The label of a role.</summary>
    protected static string RoleName(ChatRole role)
    {
        if (role == ChatRole.System)
        {
            return "System";
        }

        if (role == ChatRole.User)
        {
            return "User";
        }

        if (role == ChatRole.Assistant)
        {
            return "Assistant";
        }

        return role.Value;
    }
}
