namespace UNComp.Runtime.Templating;

/// <summary>
/// A chat template could not be parsed or rendered: a syntax error, a construct outside the supported Jinja subset,
/// a type error, or the template's own <c>raise_exception(...)</c>. The message names the template and line.
/// </summary>
public sealed class TemplateException : Exception
{
    /// <summary>Creates the exception; <paramref name="line"/> is 1-based (0 when unknown).</summary>
    public TemplateException(string templateName, int line, string reason, bool raisedByTemplate = false)
        : base(line > 0 ? $"{templateName} line {line}: {reason}" : $"{templateName}: {reason}")
    {
        TemplateName = templateName;
        Line = line;
        Reason = reason;
        RaisedByTemplate = raisedByTemplate;
    }

    /// <summary>Creates an exception with a message only.</summary>
    public TemplateException()
        : this("template", 0, "template error")
    {
    }

    /// <summary>Creates an exception with a message only.</summary>
    public TemplateException(string message)
        : this("template", 0, message)
    {
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    public TemplateException(string message, Exception innerException)
        : base(message, innerException)
    {
        TemplateName = "template";
        Reason = message;
    }

    /// <summary>The template's name (e.g. the tokenizer_config.json path).</summary>
    public string TemplateName { get; }

    /// <summary>1-based line of the template where the problem is; 0 when unknown.</summary>
    public int Line { get; }

    /// <summary>The problem without the location prefix (for <c>raise_exception</c>: the template's own message).</summary>
    public string Reason { get; }

    /// <summary>True when the template itself called <c>raise_exception</c> (the input is not valid for it).</summary>
    public bool RaisedByTemplate { get; }
}
