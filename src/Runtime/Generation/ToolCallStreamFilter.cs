namespace UNComp.Runtime.Generation;

/// <summary>
/// Streams an assistant reply's plain text while holding back its tool calls: text is passed on until a tool-call
/// marker (<see cref="ToolCallParser.Markers"/>) or a reply that starts with a JSON object appears; from there on
/// everything is kept until <see cref="Finish"/> parses it. A trailing partial marker is held back until the next
/// text decides. Malformed calls come out of <see cref="Finish"/> as plain text, so nothing is lost.
/// </summary>
public sealed class ToolCallStreamFilter
{
    private string _text = string.Empty;
    private int _emitted;
    private int _callStart = -1;

    /// <summary>Whether a tool-call section has started (the rest of the reply is held for <see cref="Finish"/>).</summary>
    public bool InToolCall => _callStart >= 0;

    /// <summary>Adds the next piece of the reply; returns the text that is now certain to be plain content (possibly empty).</summary>
    public string Push(string delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        _text += delta;
        if (_callStart >= 0)
        {
            return string.Empty;
        }

        if (_emitted == 0)
        {
            var start = _text.AsSpan().TrimStart();
            if (start.IsEmpty)
            {
                return string.Empty; // leading whitespace: the reply may still turn out to be a bare JSON call
            }

            if (start[0] == '{')
            {
                _callStart = 0;
                return string.Empty;
            }
        }

        int ready = _text.Length - ToolCallParser.PartialMarkerLength(_text);
        foreach (var marker in ToolCallParser.Markers)
        {
            int i = _text.IndexOf(marker, _emitted, StringComparison.Ordinal);
            if (i >= 0 && (_callStart < 0 || i < _callStart))
            {
                _callStart = i;
            }
        }

        if (_callStart >= 0)
        {
            ready = _callStart;
        }

        if (ready <= _emitted)
        {
            return string.Empty;
        }

        string text = _text[_emitted..ready];
        _emitted = ready;
        return text;
    }

    /// <summary>
    /// Ends the reply: the calls, and the content not yet returned by <see cref="Push"/> (the held-back text, or the
    /// text around the calls; all of it when the calls are malformed).
    /// </summary>
    public ParsedToolCalls Finish()
    {
        if (_callStart < 0)
        {
            return new ParsedToolCalls(_text[_emitted..], []);
        }

        var parsed = ToolCallParser.Parse(_text[_callStart..]);
        return parsed.Calls.Count > 0 ? parsed : new ParsedToolCalls(_text[_emitted..], []);
    }
}
