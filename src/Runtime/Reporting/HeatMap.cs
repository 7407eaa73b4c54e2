using System.Globalization;

namespace UNComp.Runtime.Reporting;

/// <summary>
/// A labelled heat map rendered with <see cref="SvgWriter"/>: rows × columns of values, colour legend, axis
/// titles, optional borders between cells of different groups in a row. Used for per-head entropy (layers ×
/// heads) and, by the evaluation harness, needle-in-a-haystack grids (depth × length).
/// </summary>
public sealed class HeatMap
{
    /// <summary>Creates a heat map of <paramref name="values"/>[row][column].</summary>
    public HeatMap(IReadOnlyList<IReadOnlyList<double>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0 || values[0].Count == 0 || values.Any(r => r.Count != values[0].Count))
        {
            throw new ArgumentException("A heat map needs a non-empty rectangular matrix.", nameof(values));
        }

        Values = values;
    }

    /// <summary>Cell values.</summary>
    public IReadOnlyList<IReadOnlyList<double>> Values { get; }

    /// <summary>Title above the map.</summary>
    public string Title { get; init; } = string.Empty;

    /// <summary>Label of the vertical axis (rows).</summary>
    public string RowAxisTitle { get; init; } = string.Empty;

    /// <summary>Label of the horizontal axis (columns).</summary>
    public string ColumnAxisTitle { get; init; } = string.Empty;

    /// <summary>Per-row tick labels; null = row indices.</summary>
    public IReadOnlyList<string>? RowLabels { get; init; }

    /// <summary>Per-column tick labels; null = column indices.</summary>
    public IReadOnlyList<string>? ColumnLabels { get; init; }

    /// <summary>Title of the colour legend.</summary>
    public string LegendTitle { get; init; } = string.Empty;

    /// <summary>Colour range; null = the data's min and max.</summary>
    public (double Min, double Max)? Range { get; init; }

    /// <summary>groups[row][column]: a thick border is drawn between horizontally adjacent cells of different groups, and around cells of the highest group.</summary>
    public IReadOnlyList<IReadOnlyList<int>>? Groups { get; init; }

    /// <summary>Writes the value into each cell when cells are large enough.</summary>
    public bool ShowValues { get; init; }

    /// <summary>Format of cell values and legend ticks.</summary>
    public string ValueFormat { get; init; } = "0.00";

    /// <summary>Cell size in pixels.</summary>
    public double CellSize { get; init; } = 18;

    /// <summary>Renders the SVG document.</summary>
    public string ToSvg()
    {
        int rows = Values.Count, cols = Values[0].Count;
        var finite = Values.SelectMany(r => r).Where(double.IsFinite).ToArray();
        var (min, max) = Range ?? (finite.Length == 0 ? (0, 1) : (finite.Min(), finite.Max()));
        if (max <= min)
        {
            max = min + 1e-9;
        }

        double cell = CellSize;
        double left = 70, top = string.IsNullOrEmpty(Title) ? 20 : 44, legendWidth = 90;
        double gridW = cols * cell, gridH = rows * cell;
        // Wide enough for the title at ~7.5 px per character of 15 px sans-serif.
        double width = Math.Max(left + gridW + 20 + legendWidth, Title.Length * 7.5 + 40), height = top + gridH + 56;
        var svg = new SvgWriter(width, height);
        svg.Rect(0, 0, width, height, "#ffffff");
        if (!string.IsNullOrEmpty(Title))
        {
            svg.Text(width / 2, 24, Title, 15, "middle", weight: "bold");
        }

        svg.BeginGroup("cells");
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                double v = Values[r][c];
                string label = string.Create(CultureInfo.InvariantCulture, $"{RowLabel(r)} / {ColumnLabel(c)}: {v.ToString(ValueFormat, CultureInfo.InvariantCulture)}");
                if (Groups is not null)
                {
                    label += string.Create(CultureInfo.InvariantCulture, $" (group {Groups[r][c]})");
                }

                svg.Rect(left + c * cell, top + r * cell, cell, cell, ColorScale.At((v - min) / (max - min)), "#ffffff", 0.5, label);
                if (ShowValues && cell >= 28)
                {
                    svg.Text(left + c * cell + cell / 2, top + r * cell + cell / 2 + 4, v.ToString(ValueFormat, CultureInfo.InvariantCulture), 9, "middle", (v - min) / (max - min) > 0.6 ? "#000" : "#fff");
                }
            }
        }

        svg.EndGroup();
        if (Groups is not null)
        {
            DrawGroupBorders(svg, left, top, cell, rows, cols);
        }

        svg.BeginGroup("axes");
        int rowStep = Math.Max(1, (int)Math.Ceiling(12 / cell));
        for (int r = 0; r < rows; r += rowStep)
        {
            svg.Text(left - 6, top + r * cell + cell / 2 + 4, RowLabel(r), 10, "end");
        }

        int colStep = Math.Max(1, (int)Math.Ceiling(14 / cell));
        for (int c = 0; c < cols; c += colStep)
        {
            svg.Text(left + c * cell + cell / 2, top + gridH + 14, ColumnLabel(c), 10, "middle");
        }

        svg.Text(left + gridW / 2, top + gridH + 36, ColumnAxisTitle, 12, "middle");
        svg.Text(18, top + gridH / 2, RowAxisTitle, 12, "middle", rotate: -90);
        svg.EndGroup();

        // Legend: a vertical ramp with min/mid/max ticks.
        svg.BeginGroup("legend");
        double lx = left + gridW + 24, ly = top, lh = Math.Max(gridH, 60), steps = 40;
        for (int i = 0; i < steps; i++)
        {
            double t = 1 - (i + 0.5) / steps;
            svg.Rect(lx, ly + i * lh / steps, 14, lh / steps + 0.5, ColorScale.At(t));
        }

        svg.Rect(lx, ly, 14, lh, "none", "#333333", 0.5);
        foreach (double t in new[] { 0.0, 0.5, 1.0 })
        {
            double value = min + t * (max - min);
            svg.Text(lx + 18, ly + (1 - t) * lh + 4, value.ToString(ValueFormat, CultureInfo.InvariantCulture), 10);
        }

        if (!string.IsNullOrEmpty(LegendTitle))
        {
            svg.Text(lx, ly - 6, LegendTitle, 10);
        }

        svg.EndGroup();
        return svg.ToString();
    }

    private void DrawGroupBorders(SvgWriter svg, double left, double top, double cell, int rows, int cols)
    {
        var groups = Groups!;
        int highest = groups.SelectMany(g => g).Max();
        svg.BeginGroup("groups");
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                double x = left + c * cell, y = top + r * cell;
                if (c + 1 < cols && groups[r][c] != groups[r][c + 1])
                {
                    svg.Line(x + cell, y, x + cell, y + cell, "#000000", 2);
                }

                if (groups[r][c] == highest)
                {
                    svg.Rect(x + 1.5, y + 1.5, cell - 3, cell - 3, "none", "#ff3030", 1.5);
                }
            }
        }

        svg.EndGroup();
    }

    private string RowLabel(int r) => RowLabels?[r] ?? r.ToString(CultureInfo.InvariantCulture);

    private string ColumnLabel(int c) => ColumnLabels?[c] ?? c.ToString(CultureInfo.InvariantCulture);
}
