using System.Globalization;
using System.Text;

namespace UNComp.Runtime.Reporting;

/// <summary>
/// A minimal SVG 1.1 writer: rectangles, lines, text and groups with invariant-culture numbers and escaped text.
/// Enough for heat maps and simple charts without a plotting library.
/// </summary>
public sealed class SvgWriter
{
    private readonly StringBuilder body = new();
    private int depth = 1;

    /// <summary>Starts a drawing of the given size in pixels.</summary>
    public SvgWriter(double width, double height)
    {
        Width = width;
        Height = height;
    }

    /// <summary>Canvas width.</summary>
    public double Width { get; }

    /// <summary>Canvas height.</summary>
    public double Height { get; }

    /// <summary>Adds a rectangle.</summary>
    public SvgWriter Rect(double x, double y, double width, double height, string fill, string? stroke = null, double strokeWidth = 1, string? title = null)
    {
        Indent().Append(CultureInfo.InvariantCulture, $"<rect x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(width)}\" height=\"{N(height)}\" fill=\"{Escape(fill)}\"");
        if (stroke is not null)
        {
            body.Append(CultureInfo.InvariantCulture, $" stroke=\"{Escape(stroke)}\" stroke-width=\"{N(strokeWidth)}\"");
        }

        if (title is null)
        {
            body.Append("/>\n");
        }
        else
        {
            body.Append("><title>").Append(Escape(title)).Append("</title></rect>\n");
        }

        return this;
    }

    /// <summary>Adds a straight line.</summary>
    public SvgWriter Line(double x1, double y1, double x2, double y2, string stroke, double strokeWidth = 1)
    {
        Indent().Append(CultureInfo.InvariantCulture, $"<line x1=\"{N(x1)}\" y1=\"{N(y1)}\" x2=\"{N(x2)}\" y2=\"{N(y2)}\" stroke=\"{Escape(stroke)}\" stroke-width=\"{N(strokeWidth)}\"/>\n");
        return this;
    }

    /// <summary>Adds text; <paramref name="anchor"/> is start, middle or end; <paramref name="rotate"/> in degrees about (x, y).</summary>
    public SvgWriter Text(double x, double y, string text, double fontSize = 12, string anchor = "start", string fill = "#000", double rotate = 0, string? weight = null)
    {
        Indent().Append(CultureInfo.InvariantCulture, $"<text x=\"{N(x)}\" y=\"{N(y)}\" font-family=\"sans-serif\" font-size=\"{N(fontSize)}\" text-anchor=\"{anchor}\" fill=\"{Escape(fill)}\"");
        if (rotate != 0)
        {
            body.Append(CultureInfo.InvariantCulture, $" transform=\"rotate({N(rotate)} {N(x)} {N(y)})\"");
        }

        if (weight is not null)
        {
            body.Append(" font-weight=\"").Append(Escape(weight)).Append('"');
        }

        body.Append('>').Append(Escape(text)).Append("</text>\n");
        return this;
    }

    /// <summary>Opens a group (<c>&lt;g&gt;</c>) with an optional id; close it with <see cref="EndGroup"/>.</summary>
    public SvgWriter BeginGroup(string? id = null)
    {
        Indent().Append(id is null ? "<g>\n" : $"<g id=\"{Escape(id)}\">\n");
        depth++;
        return this;
    }

    /// <summary>Closes the innermost group.</summary>
    public SvgWriter EndGroup()
    {
        if (depth <= 1)
        {
            throw new InvalidOperationException("EndGroup without BeginGroup.");
        }

        depth--;
        Indent().Append("</g>\n");
        return this;
    }

    /// <summary>The complete SVG document.</summary>
    public override string ToString()
    {
        if (depth != 1)
        {
            throw new InvalidOperationException($"{depth - 1} group(s) still open.");
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{N(Width)}\" height=\"{N(Height)}\" viewBox=\"0 0 {N(Width)} {N(Height)}\">\n{body}</svg>\n");
    }

    /// <summary>Writes the document to a file (UTF-8, no BOM).</summary>
    public void Save(string path) => File.WriteAllText(path, ToString(), new UTF8Encoding(false));

    /// <summary>XML-escapes text and attribute values.</summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
            .Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&quot;", StringComparison.Ordinal);
    }

    private StringBuilder Indent() => body.Append(' ', depth * 2);

    private static string N(double v) => Math.Round(v, 2).ToString("0.##", CultureInfo.InvariantCulture);
}
