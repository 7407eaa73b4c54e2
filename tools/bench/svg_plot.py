"""A small dependency-free SVG line chart for the benchmark plots in tools/bench (log or linear axes, a legend,
dashed reference lines, optional error bars). The GPU machine has no matplotlib, so every plot script writes SVG
through this."""
import math

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f"]


class Series:
    """points: (x, y) or (x, y, low, high); dashed lines are bounds or references."""

    def __init__(self, name, points, colour=None, dashed=False, marker=True):
        self.name, self.points, self.colour, self.dashed, self.marker = name, [p for p in points if p[1] is not None], colour, dashed, marker


def _ticks(lo, hi, log):
    if log:
        out = []
        for d in range(int(math.floor(math.log10(lo))), int(math.ceil(math.log10(hi))) + 1):
            for m in (1, 2, 5):
                v = m * 10 ** d
                if lo <= v <= hi:
                    out.append(v)
        return out
    step = 10 ** math.floor(math.log10((hi - lo) / 5 or 1))
    for m in (1, 2, 5, 10):
        if (hi - lo) / (step * m) <= 6:
            step *= m
            break
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step + 1e-9) + 1)]


def label(v):
    """A short axis label: 1.5 G, 20 M, 32 K, 0.25."""
    if v >= 1e9:
        return f"{v / 1e9:g} G"
    if v >= 1e6:
        return f"{v / 1e6:g} M"
    if v >= 1e4:
        return f"{v / 1e3:g} K"
    return f"{v:g}"


def line_chart(series, title, x_title, y_title, x_log=False, y_log=False, x_ticks=None, x_labels=None, y_range=None,
               y_format=None, width=760, height=440, legend_width=250, spread=0):
    """The SVG text of a line chart of `series`; `spread` shifts series i by (i − mid) · spread pixels so that
    overlapping error bars stay apart."""
    y_format = y_format or label
    series = [s for s in series if s.points]
    if not series:
        raise ValueError(f"plot '{title}': no series has points")
    L, T, B = 70, 34, 52
    R = legend_width
    xs = [p[0] for s in series for p in s.points]
    ys = [v for s in series for p in s.points for v in (p[1:] if len(p) == 4 else p[1:2])]
    x_ticks = x_ticks or sorted(set(xs))
    x_lo, x_hi = min(min(xs), min(x_ticks)), max(max(xs), max(x_ticks))
    if y_range:
        y_lo, y_hi = y_range
    elif y_log:
        y_lo, y_hi = min(ys) / 1.3, max(ys) * 1.3
    else:
        y_lo, y_hi = 0, max(ys) * 1.1 or 1

    def tx(v):
        return math.log10(v) if x_log else v

    def ty(v):
        return math.log10(v) if y_log else v

    pad = 0.04 * (tx(x_hi) - tx(x_lo) or 1)

    def X(v):
        return L + (tx(v) - tx(x_lo) + pad) / (tx(x_hi) - tx(x_lo) + 2 * pad) * (width - L - R)

    def Y(v):
        v = min(max(v, y_lo), y_hi)
        return height - B - (ty(v) - ty(y_lo)) / (ty(y_hi) - ty(y_lo)) * (height - T - B)

    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
         f'<rect width="{width}" height="{height}" fill="white"/>',
         f'<text x="{L}" y="20" font-size="14">{_esc(title)}</text>']
    for v in _ticks(y_lo, y_hi, y_log):
        o.append(f'<line x1="{L}" x2="{width - R}" y1="{Y(v):.1f}" y2="{Y(v):.1f}" stroke="#ddd"/>'
                 f'<text x="{L - 6}" y="{Y(v) + 4:.1f}" text-anchor="end">{_esc(y_format(v))}</text>')
    for i, v in enumerate(x_ticks):
        text = x_labels[i] if x_labels else label(v)
        o.append(f'<line x1="{X(v):.1f}" x2="{X(v):.1f}" y1="{T}" y2="{height - B}" stroke="#eee"/>'
                 f'<text x="{X(v):.1f}" y="{height - B + 16}" text-anchor="middle">{_esc(text)}</text>')
    o.append(f'<line x1="{L}" x2="{width - R}" y1="{height - B}" y2="{height - B}" stroke="#333"/>'
             f'<line x1="{L}" x2="{L}" y1="{T}" y2="{height - B}" stroke="#333"/>')
    o.append(f'<text x="{(L + width - R) / 2}" y="{height - 12}" text-anchor="middle">{_esc(x_title)}</text>')
    o.append(f'<text x="16" y="{(T + height - B) / 2}" transform="rotate(-90 16 {(T + height - B) / 2})" text-anchor="middle">{_esc(y_title)}</text>')
    for i, s in enumerate(series):
        c = s.colour or PALETTE[i % len(PALETTE)]
        pts = sorted(s.points)
        shift = (i - (len(series) - 1) / 2) * spread if len(pts) > 1 else 0

        def X(v, X=X, shift=shift):
            return X(v) + shift
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        o.append(f'<polyline fill="none" stroke="{c}" stroke-width="2"{dash} points="' + " ".join(f"{X(p[0]):.1f},{Y(p[1]):.1f}" for p in pts) + '"/>')
        for p in pts:
            if len(p) == 4:
                o.append(f'<line x1="{X(p[0]):.1f}" x2="{X(p[0]):.1f}" y1="{Y(p[2]):.1f}" y2="{Y(p[3]):.1f}" stroke="{c}"/>')
            if s.marker:
                o.append(f'<circle cx="{X(p[0]):.1f}" cy="{Y(p[1]):.1f}" r="3" fill="{c}"><title>{_esc(s.name)}: {p[1]:.4g}</title></circle>')
        ly = T + 10 + i * 20
        o.append(f'<line x1="{width - R + 12}" x2="{width - R + 32}" y1="{ly}" y2="{ly}" stroke="{c}" stroke-width="2"{dash}/>'
                 f'<text x="{width - R + 38}" y="{ly + 4}">{_esc(s.name)}</text>')
    o.append("</svg>")
    return "\n".join(o) + "\n"


def _esc(text):
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
