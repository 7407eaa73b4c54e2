using System.Globalization;

namespace UNComp.Runtime.Reporting;

/// <summary>One line of a <see cref="LineChart"/>: points with optional error bars.</summary>
/// <param name="Name">Legend text.</param>
/// <param name="Points">(x, y, low, high) per point; low/high = y for no bar.</param>
/// <param name="Reference">Draw as a dashed horizontal reference band (e.g. the full cache) from its first point.</param>
public sealed record LineSeries(string Name, IReadOnlyList<(double X, double Y, double Low, double High)> Points, bool Reference = false);

/// <summary>
/// A line chart with interval bars on a categorical or logarithmic x axis, written with <see cref="SvgWriter"/>;
/// used for accuracy against KV budget (one line per method).
/// </summary>
public sealed class LineChart
{
    private static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"];
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Creates a chart of the given series.</summary>
    public LineChart(IReadOnlyList<LineSeries> series)
    {
        ArgumentNullException.ThrowIfNull(series);
        Series = series;
    }

    /// <summary>The lines.</summary>
    public IReadOnlyList<LineSeries> Series { get; }

    /// <summary>Title above the plot.</summary>
    public string Title { get; init; } = string.Empty;

    /// <summary>X axis title.</summary>
    public string XAxisTitle { get; init; } = string.Empty;

    /// <summary>Y axis title.</summary>
    public string YAxisTitle { get; init; } = string.Empty;

    /// <summary>X positions with a tick each, in order; points are placed at equal spacing by their index here (categorical axis).</summary>
    public IReadOnlyList<double> XTicks { get; init; } = [];

    /// <summary>Tick labels (default: the values).</summary>
    public IReadOnlyList<string>? XTickLabels { get; init; }

    /// <summary>Y range.</summary>
    public (double Min, double Max) YRange { get; init; } = (0, 1);

    /// <summary>Y tick format.</summary>
    public string YFormat { get; init; } = "0%";

    /// <summary>The SVG text.</summary>
    public string ToSvg()
    {
        const double Left = 60, Top = 36, PlotW = 420, PlotH = 260, LegendW = 150, Bottom = 50;
        var svg = new SvgWriter(Left + PlotW + LegendW, Top + PlotH + Bottom);
        svg.Rect(0, 0, svg.Width, svg.Height, "#fff");
        svg.Text(Left + (PlotW / 2), 20, Title, 14, "middle", weight: "bold");
        var ticks = XTicks.Count > 0 ? XTicks : [.. Series.SelectMany(s => s.Points.Select(p => p.X)).Distinct().Order()];
        double X(double x)
        {
            int i = IndexOf(ticks, x);
            return Left + (ticks.Count == 1 ? PlotW / 2 : 20 + (i * (PlotW - 40) / (ticks.Count - 1)));
        }

        double Y(double y) => Top + PlotH - ((Math.Clamp(y, YRange.Min, YRange.Max) - YRange.Min) / (YRange.Max - YRange.Min) * PlotH);

        // Grid, axes and ticks.
        for (int i = 0; i <= 5; i++)
        {
            double v = YRange.Min + ((YRange.Max - YRange.Min) * i / 5);
            svg.Line(Left, Y(v), Left + PlotW, Y(v), "#e5e5e5");
            svg.Text(Left - 6, Y(v) + 4, v.ToString(YFormat, Inv), 11, "end");
        }

        svg.Line(Left, Top + PlotH, Left + PlotW, Top + PlotH, "#333").Line(Left, Top, Left, Top + PlotH, "#333");
        for (int i = 0; i < ticks.Count; i++)
        {
            double x = X(ticks[i]);
            svg.Line(x, Top + PlotH, x, Top + PlotH + 4, "#333");
            svg.Text(x, Top + PlotH + 17, XTickLabels is { } l && i < l.Count ? l[i] : ticks[i].ToString("0.###", Inv), 11, "middle");
        }

        svg.Text(Left + (PlotW / 2), Top + PlotH + 38, XAxisTitle, 12, "middle");
        svg.Text(16, Top + (PlotH / 2), YAxisTitle, 12, "middle", rotate: -90);

        for (int s = 0; s < Series.Count; s++)
        {
            var line = Series[s];
            string colour = line.Reference ? "#555" : Palette[s % Palette.Length];
            svg.BeginGroup();
            if (line.Reference && line.Points.Count > 0)
            {
                var p = line.Points[0];
                svg.Rect(Left, Y(p.High), PlotW, Math.Max(0.5, Y(p.Low) - Y(p.High)), "#ebebeb");
                for (double x = Left; x < Left + PlotW; x += 10)
                {
                    svg.Line(x, Y(p.Y), Math.Min(x + 5, Left + PlotW), Y(p.Y), colour, 1.5);
                }
            }
            else
            {
                double offset = (s - ((Series.Count - 1) / 2.0)) * 3; // keeps overlapping bars apart
                var points = line.Points.Where(p => IndexOf(ticks, p.X) >= 0).OrderBy(p => IndexOf(ticks, p.X)).ToList();
                for (int i = 0; i < points.Count; i++)
                {
                    var p = points[i];
                    double x = X(p.X) + offset;
                    if (i > 0)
                    {
                        svg.Line(X(points[i - 1].X) + offset, Y(points[i - 1].Y), x, Y(p.Y), colour, 2);
                    }

                    svg.Line(x, Y(p.Low), x, Y(p.High), colour, 1).Line(x - 3, Y(p.Low), x + 3, Y(p.Low), colour).Line(x - 3, Y(p.High), x + 3, Y(p.High), colour);
                    svg.Rect(x - 2.5, Y(p.Y) - 2.5, 5, 5, colour, title: string.Create(Inv, $"{line.Name}: {p.Y.ToString(YFormat, Inv)} [{p.Low.ToString(YFormat, Inv)}, {p.High.ToString(YFormat, Inv)}]"));
                }
            }

            double ly = Top + 8 + (s * 18);
            svg.Line(Left + PlotW + 14, ly, Left + PlotW + 34, ly, colour, 2);
            svg.Text(Left + PlotW + 40, ly + 4, line.Name, 11);
            svg.EndGroup();
        }

        return svg.ToString();
    }

    private static int IndexOf(IReadOnlyList<double> ticks, double x)
    {
        for (int i = 0; i < ticks.Count; i++)
        {
            if (Math.Abs(ticks[i] - x) < 1e-9)
            {
                return i;
            }
        }

        return -1;
    }
}
