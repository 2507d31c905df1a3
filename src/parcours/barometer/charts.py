"""Chart data and renderers. One list of rows per chart feeds three outputs: the Vega-Lite spec kept
as a data file (`charts/*.vl.json`, for the web dashboard), an inline SVG for the HTML report (no
script, works offline and prints) and fpdf2 drawing primitives for the PDF report."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any

from fpdf import FPDF

from parcours.errors import InvalidInput, Issue

CHARTS = Path(__file__).parent / "charts"
PALETTE = ("#000091", "#e1000f", "#6a6af4", "#7f7f7f")  # DSFR blue France, red Marianne, ...

Row = dict[str, Any]


@lru_cache(maxsize=16)
def _spec_text(name: str) -> str:
    return (CHARTS / f"{name}.vl.json").read_text(encoding="utf-8")


def chart_spec(name: str, rows: list[Row]) -> dict[str, Any]:
    """The Vega-Lite spec `charts/<name>.vl.json` with its named data source filled with `rows`."""
    path = CHARTS / f"{name}.vl.json"
    try:
        spec: dict[str, Any] = json.loads(_spec_text(name))
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            [Issue(str(path), exc.lineno, None, f"JSON invalide : {exc.msg}")]
        ) from exc
    spec["data"] = {"values": rows}
    return spec


@dataclass(frozen=True)
class Bars:
    """A horizontal grouped bar chart: one group per category, one bar per series."""

    rows: list[Row]
    category: str
    series: str
    value: str
    domain: tuple[float, float]
    low: str | None = None
    high: str | None = None
    faded: str | None = None  # a boolean field: False draws the bar pale (e.g. not significant)
    dots: bool = False  # a dot and its interval instead of a bar (for axes that do not start at 0)

    def categories(self) -> list[str]:
        return list(dict.fromkeys(str(r[self.category]) for r in self.rows))

    def series_names(self) -> list[str]:
        return list(dict.fromkeys(str(r[self.series]) for r in self.rows))

    def scale(self, value: float, x0: float, width: float) -> float:
        lo, hi = self.domain
        return x0 + (min(max(value, lo), hi) - lo) / (hi - lo) * width


def svg(chart: Bars, *, label_width: int = 260, plot_width: int = 360, bar: int = 9) -> str:
    cats, series = chart.categories(), chart.series_names()
    colour = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(series)}
    group_h = bar * len(series) + 8
    height = 30 + group_h * len(cats) + 24
    width = label_width + plot_width + 60
    x0 = label_width
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Marianne, Arial, sans-serif" font-size="11">'
    ]
    zero = chart.scale(0.0, x0, plot_width) if chart.domain[0] < 0 < chart.domain[1] else x0
    for tick in _ticks(chart.domain):
        x = chart.scale(tick, x0, plot_width)
        parts.append(f'<line x1="{x:.1f}" y1="24" x2="{x:.1f}" y2="{height - 20}" stroke="#ddd"/>')
        parts.append(f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle">{tick:g}</text>')
    for i, s in enumerate(series):
        parts.append(
            f'<rect x="{x0 + i * 150}" y="6" width="10" height="10" fill="{colour[s]}"/>'
            f'<text x="{x0 + i * 150 + 14}" y="15">{escape(s)}</text>'
        )
    by_key = {(str(r[chart.category]), str(r[chart.series])): r for r in chart.rows}
    for ci, cat in enumerate(cats):
        top = 30 + ci * group_h
        parts.append(
            f'<text x="{label_width - 6}" y="{top + group_h / 2 + 2:.1f}" text-anchor="end">{escape(cat)}</text>'
        )
        for si, s in enumerate(series):
            row = by_key.get((cat, s))
            if row is None:
                continue
            y = top + si * bar
            v = float(row[chart.value])
            x = chart.scale(v, x0, plot_width)
            left, right = sorted((zero, x))
            opacity = 0.35 if chart.faded and not row.get(chart.faded) else 1.0
            title = f"<title>{escape(cat)} · {escape(s)} : {v:.1f}</title>"
            if chart.dots:
                parts.append(
                    f'<circle cx="{x:.1f}" cy="{y + (bar - 1) / 2}" r="{bar / 2 - 0.5}" fill="{colour[s]}">{title}</circle>'
                )
            else:
                parts.append(
                    f'<rect x="{left:.1f}" y="{y}" width="{max(right - left, 0.5):.1f}" height="{bar - 1}" '
                    f'fill="{colour[s]}" fill-opacity="{opacity}">{title}</rect>'
                )
            if chart.low and chart.high and row.get(chart.low) is not None:
                xl = chart.scale(float(row[chart.low]), x0, plot_width)
                xh = chart.scale(float(row[chart.high]), x0, plot_width)
                ym = y + (bar - 1) / 2
                parts.append(
                    f'<line x1="{xl:.1f}" y1="{ym}" x2="{xh:.1f}" y2="{ym}" stroke="#333"/>'
                )
    parts.append("</svg>")
    return "".join(parts)


def draw_pdf(
    pdf: FPDF, chart: Bars, *, label_width: float = 70, plot_width: float = 95, bar: float = 2.6
) -> None:
    """Draw the chart at the current position (millimetres) with fpdf2 primitives."""
    cats, series = chart.categories(), chart.series_names()
    rgb = {s: _rgb(PALETTE[i % len(PALETTE)]) for i, s in enumerate(series)}
    x0 = pdf.l_margin + label_width
    top = pdf.get_y() + 6
    group_h = bar * len(series) + 2
    height = group_h * len(cats)
    if top + height + 10 > pdf.h - pdf.b_margin:
        pdf.add_page()
        top = pdf.get_y() + 6
    pdf.set_font(size=7)
    for i, s in enumerate(series):
        pdf.set_fill_color(*rgb[s])
        pdf.rect(x0 + i * 45, top - 5, 3, 3, style="F")
        pdf.text(x0 + i * 45 + 4, top - 2.6, s)
    zero = chart.scale(0.0, x0, plot_width) if chart.domain[0] < 0 < chart.domain[1] else x0
    pdf.set_draw_color(220, 220, 220)
    for tick in _ticks(chart.domain):
        x = chart.scale(tick, x0, plot_width)
        pdf.line(x, top, x, top + height)
        pdf.text(x - 2, top + height + 3.5, f"{tick:g}")
    by_key = {(str(r[chart.category]), str(r[chart.series])): r for r in chart.rows}
    for ci, cat in enumerate(cats):
        y_cat = top + ci * group_h
        label = cat if pdf.get_string_width(cat) < label_width - 2 else cat[:48] + "…"
        pdf.text(pdf.l_margin, y_cat + group_h / 2 + 0.8, label)
        for si, s in enumerate(series):
            row = by_key.get((cat, s))
            if row is None:
                continue
            y = y_cat + si * bar
            x = chart.scale(float(row[chart.value]), x0, plot_width)
            left, right = sorted((zero, x))
            faded = chart.faded is not None and not row.get(chart.faded)
            colour = tuple(int(c + (255 - c) * 0.65) for c in rgb[s]) if faded else rgb[s]
            pdf.set_fill_color(*colour)
            if chart.dots:
                pdf.circle(x, y + (bar - 0.4) / 2, (bar - 0.4) / 2, style="F")
            else:
                pdf.rect(left, y, max(right - left, 0.2), bar - 0.4, style="F")
            if chart.low and chart.high and row.get(chart.low) is not None:
                pdf.set_draw_color(50, 50, 50)
                ym = y + (bar - 0.4) / 2
                pdf.line(chart.scale(float(row[chart.low]), x0, plot_width), ym,
                         chart.scale(float(row[chart.high]), x0, plot_width), ym)  # fmt: skip
                pdf.set_draw_color(220, 220, 220)
    pdf.set_y(top + height + 7)
    pdf.set_font(size=9)


def _ticks(domain: tuple[float, float]) -> list[float]:
    lo, hi = domain
    step = 20.0 if hi - lo > 40 else 5.0 if hi - lo > 12 else 2.0
    start = step * round(lo / step)
    return [
        start + i * step
        for i in range(int((hi - start) / step) + 1)
        if lo <= start + i * step <= hi
    ]


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))
