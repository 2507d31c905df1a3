"""The works-council report (HTML through Jinja2, PDF through fpdf2): a region against the nation,
wave by wave, from published (suppressed) figures only."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF, XPos, YPos
from jinja2 import Environment, FileSystemLoader, select_autoescape

from parcours.barometer.charts import Bars, chart_spec, draw_pdf, svg
from parcours.barometer.importer import wave_label
from parcours.barometer.results import (
    ALL,
    NATION,
    TOTAL,
    Change,
    Figure,
    Group,
    Results,
    Watch,
    is_item,
)

TEMPLATES = Path(__file__).parent / "templates"
SECRET = "s"  # shown instead of a suppressed figure
FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)


def fmt(value: float | None, signed: bool = False) -> str:
    if value is None or math.isnan(value):
        return SECRET
    text = f"{value:+.1f}" if signed else f"{value:.1f}"
    return text.replace(".", ",")


def stars(p_value: float) -> str:
    return "" if math.isnan(p_value) else "**" if p_value < 0.01 else "*" if p_value < 0.05 else ""


@dataclass
class MeasureRow:
    measure: str
    label: str
    region: list[str] = field(default_factory=list)  # one per wave
    nation: list[str] = field(default_factory=list)
    region_change: str = ""
    nation_change: str = ""
    gap: str = ""


def _change(results: Results, measure: str, group: Group) -> Change | None:
    if len(results.waves) < 2:
        return None
    before, after = results.waves[-2], results.waves[-1]
    for c in results.changes:
        if (
            c.measure == measure
            and c.group == group
            and c.from_wave == before
            and c.to_wave == after
        ):
            return c
    return None


def _change_text(change: Change | None) -> str:
    return SECRET if change is None else fmt(change.delta, signed=True) + stars(change.test.p_value)


def measure_rows(results: Results, region: str, measures: list[str]) -> list[MeasureRow]:
    r_group, n_group = Group(region, TOTAL, ALL), Group(NATION, TOTAL, ALL)
    last = results.waves[-1]
    rows = []
    for m in measures:
        row = MeasureRow(m, results.measure_label(m))
        for w in results.waves:
            row.region.append(fmt(results.figure(w, m, r_group).value))
            row.nation.append(fmt(results.figure(w, m, n_group).value))
        row.region_change = _change_text(_change(results, m, r_group))
        row.nation_change = _change_text(_change(results, m, n_group))
        gap = next(
            (g for g in results.gaps if g.wave == last and g.measure == m and g.region == region),
            None,
        )
        row.gap = SECRET if gap is None else fmt(gap.gap, signed=True) + stars(gap.test.p_value)
        rows.append(row)
    return rows


def headline_rows(results: Results, scope: str) -> list[tuple[str, ...]]:
    """For the command line: each index and theme per wave in one scope, with the last change."""
    group = Group(scope, TOTAL, ALL)
    out = []
    for m in results.definitions.indices:
        change = _change(results, m, group)
        out.append(
            (
                results.measure_label(m),
                *(fmt(results.figure(w, m, group).value) for w in results.waves),
                _change_text(change),
                "" if change is None else f"{change.test.p_value:.3f}",
            )
        )
    return out


def breakdown_tables(
    results: Results, scope: str, measures: tuple[str, ...] = ("iqvt", "idc")
) -> list[dict[str, Any]]:
    """Every population breakdown of one scope for the headline indices, last wave and change."""
    last = results.waves[-1]
    tables = []
    for attr in results.definitions.population.breakdowns:
        if attr.name == "region":
            continue
        rows = []
        for code, label in attr.values.items():
            g = Group(scope, attr.name, code)
            cells = []
            for m in measures:
                f = results.figure(last, m, g)
                cells += [fmt(f.value), _change_text(_change(results, m, g))]
            n = results.figure(last, measures[0], g).n
            rows.append({"label": label, "n": SECRET if n is None else str(n), "cells": cells})
        tables.append({"label": attr.label, "rows": rows})
    return tables


def watch_rows(results: Results, watch: list[Watch]) -> list[dict[str, str]]:
    return [
        {
            "group": results.group_label(w.group),
            "measure": results.measure_label(w.measure),
            "kind": "niveau inférieur au reste du périmètre"
            if w.kind == "niveau"
            else "baisse depuis la vague précédente",
            "value": fmt(w.value),
            "reference": fmt(w.reference),
            "difference": fmt(w.difference, signed=True),
            "q": "< 0,001" if w.q_value < 0.001 else f"{w.q_value:.3f}".replace(".", ","),
        }
        for w in watch
    ]


def _published_precision(value: float | None) -> float | None:
    """A figure rounded as the tables print it (`fmt`, one decimal). The chart specs are exported
    as JSON: full precision there would give, with the published n and interval, each group's exact
    sum and sum of squares, and so the mean and spread of any group obtained by difference."""
    return None if value is None or math.isnan(value) else round(value, 1)


def _chart_figure(f: Figure) -> dict[str, float | None]:
    return {
        "value": _published_precision(f.value),
        "low": _published_precision(f.low),
        "high": _published_precision(f.high),
    }


def chart_data(results: Results, region: str) -> dict[str, Bars]:
    names = {region: results.group_label(Group(region, TOTAL, ALL)), NATION: "France"}
    last = results.waves[-1]
    trend: list[dict[str, Any]] = []
    themes: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    indices = [i.id for i in results.definitions.indices.values() if i.kind == "index"]
    theme_ids = [i.id for i in results.definitions.indices.values() if i.kind == "theme"]
    for m in indices:
        for w in results.waves:
            for scope in (region, NATION):
                f = results.figure(w, m, Group(scope, TOTAL, ALL))
                if f.published:
                    trend.append({"measure": m.upper(), "wave": wave_label(w), "category": f"{m.upper()} · {wave_label(w)}",
                                  "scope": names[scope], **_chart_figure(f)})  # fmt: skip
    for m in theme_ids:
        for scope in (region, NATION):
            g = Group(scope, TOTAL, ALL)
            f = results.figure(last, m, g)
            if f.published:
                themes.append({"label": results.measure_label(m), "scope": names[scope], **_chart_figure(f)})  # fmt: skip
            c = _change(results, m, g)
            if c is not None:
                changes.append({"label": results.measure_label(m), "scope": names[scope], "delta": _published_precision(c.delta),
                                "significant": c.test.significant()})  # fmt: skip
    span = max([abs(r["delta"]) for r in changes] + [5.0])
    lo = min([r["low"] for r in trend if r["low"] is not None] + [100.0])
    hi = max([r["high"] for r in trend if r["high"] is not None] + [0.0])
    return {
        "index_trend": Bars(
            trend,
            "category",
            "scope",
            "value",
            (math.floor(lo / 5) * 5, math.ceil(hi / 5) * 5),
            "low",
            "high",
            dots=True,
        ),
        "themes_vs_nation": Bars(themes, "label", "scope", "value", (0.0, 100.0), "low", "high"),
        "theme_changes": Bars(
            changes,
            "label",
            "scope",
            "delta",
            (-math.ceil(span), math.ceil(span)),
            faded="significant",
        ),
    }


def report_context(results: Results, region: str) -> dict[str, Any]:
    d = results.definitions
    if region not in d.population.attributes["region"].values:
        raise ValueError(f"région inconnue : {region}")
    indices = [i.id for i in d.indices.values() if i.kind == "index"]
    themes = [i.id for i in d.indices.values() if i.kind == "theme"]
    items = [m for m in results.measures if is_item(m)]
    charts = chart_data(results, region)
    region_label = results.group_label(Group(region, TOTAL, ALL))
    return {
        "region": region,
        "region_label": region_label,
        "waves": [wave_label(w) for w in results.waves],
        "last_change": f"{wave_label(results.waves[-2])} → {wave_label(results.waves[-1])}"
        if len(results.waves) > 1
        else "",
        "threshold": results.threshold,
        "generated_at": datetime.now(UTC).strftime("%d/%m/%Y %H:%M UTC"),
        "headline": measure_rows(results, region, indices),
        "themes": measure_rows(results, region, themes),
        "items": measure_rows(results, region, items),
        "definitions": [
            {"label": i.label, "scoring": i.scoring, "items": ", ".join(i.items)}
            for i in d.indices.values()
        ],
        "breakdowns_region": breakdown_tables(results, region),
        "breakdowns_nation": breakdown_tables(results, NATION),
        "watch_region": watch_rows(results, [w for w in results.watch if w.group.scope == region]),
        "watch_nation": watch_rows(results, [w for w in results.watch if w.group.scope == NATION]),
        "charts": {name: svg(bars) for name, bars in charts.items()},
        "specs": {
            # Embedded in <script> tags: "</" must not close them.
            name: json.dumps(chart_spec(name, bars.rows), ensure_ascii=False).replace("</", "<\\/")
            for name, bars in charts.items()
        },
    }


def render_html(context: dict[str, Any]) -> str:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"])
    )
    return env.get_template("report.html.j2").render(**context)


class _ReportPDF(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self.title_text = title
        font = next((p for p in FONT_CANDIDATES if p.exists()), None)
        self.unicode = font is not None
        if font is not None:
            self.add_font("report", "", str(font))
            self.add_font(
                "report",
                "B",
                str(font.with_name("DejaVuSans-Bold.ttf"))
                if font.with_name("DejaVuSans-Bold.ttf").exists()
                else str(font),
            )
            self.family = "report"
        else:  # core font: Latin-1 only
            self.family = "helvetica"
        self.set_auto_page_break(True, margin=15)
        self.set_margins(12, 12, 12)

    def safe(self, text: str) -> str:
        if self.unicode:
            return text
        for a, b in (("œ", "oe"), ("→", "->"), ("—", "-"), ("…", "..."), ("’", "'"), ("·", "-")):
            text = text.replace(a, b)
        return text.encode("latin-1", "replace").decode("latin-1")

    def para(self, w: float, h: float, text: str) -> None:
        """A paragraph that leaves the cursor at the start of the next line."""
        self.multi_cell(w, h, self.safe(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(self.family, size=7)
        self.cell(0, 5, self.safe(f"{self.title_text} — page {self.page_no()}"), align="C")


def render_pdf(context: dict[str, Any], charts: dict[str, Bars]) -> bytes:
    title = f"Baromètre interne — {context['region_label']} face au national"
    pdf = _ReportPDF(title)
    s = pdf.safe
    pdf.add_page()
    pdf.set_font(pdf.family, "B", 15)
    pdf.para(0, 8, s(title))
    pdf.set_font(pdf.family, size=9)
    pdf.para(0, 5, s(
        f"Vagues : {', '.join(context['waves'])}. Rapport pour le CSE, généré le {context['generated_at']}. "
        f"Aucun chiffre n'est publié pour un groupe de moins de {context['threshold']} répondants, "
        f"y compris par différence entre chiffres publiés (secret secondaire) ; « {SECRET} » marque un chiffre couvert par le secret. "
        "Évolutions : test de Welch (indices, thèmes) ou test z de deux proportions (items) ; * p < 0,05 ; ** p < 0,01."
    ))  # fmt: skip
    pdf.ln(2)

    def table(heading: str, rows: list[MeasureRow]) -> None:
        pdf.set_font(pdf.family, "B", 11)
        pdf.para(0, 7, s(heading))
        waves = context["waves"]
        widths = [64] + [16] * (2 * len(waves)) + [18, 18, 16]
        head = ["", *(f"{context['region']} {w}" for w in waves), *(f"FR {w}" for w in waves),
                f"Évol. {context['region']}", "Évol. FR", "Écart"]  # fmt: skip
        pdf.set_font(pdf.family, "B", 6.5)
        for w, h in zip(widths, head, strict=True):
            pdf.cell(w, 5, s(h), border="B")
        pdf.ln()
        pdf.set_font(pdf.family, size=7)
        for r in rows:
            label = r.label if pdf.get_string_width(r.label) < 63 else r.label[:52] + "…"
            cells = [label, *r.region, *r.nation, r.region_change, r.nation_change, r.gap]
            for i, (w, c) in enumerate(zip(widths, cells, strict=True)):
                pdf.cell(w, 4.6, s(c), align="L" if i == 0 else "R")
            pdf.ln()
        pdf.ln(2)

    table("Indices", context["headline"])
    pdf.set_font(pdf.family, "B", 11)
    pdf.para(0, 7, s("IQVT et IDC par vague (intervalle de confiance à 95 %)"))
    draw_pdf(pdf, charts["index_trend"])
    table("Thèmes", context["themes"])
    pdf.set_font(pdf.family, "B", 11)
    pdf.para(0, 7, s(f"Thèmes, dernière vague : {context['region_label']} et France"))
    draw_pdf(pdf, charts["themes_vs_nation"])
    pdf.set_font(pdf.family, "B", 11)
    pdf.para(
        0,
        7,
        s(f"Évolution des thèmes ({context['last_change']}) ; barres pâles : non significatif"),
    )
    draw_pdf(pdf, charts["theme_changes"])
    pdf.add_page()
    for key, heading in (("watch_nation", "Populations à suivre — national"),
                         ("watch_region", f"Populations à suivre — {context['region_label']}")):  # fmt: skip
        pdf.set_font(pdf.family, "B", 11)
        pdf.para(0, 7, s(heading))
        pdf.set_font(pdf.family, size=7.5)
        if not context[key]:
            pdf.para(
                0,
                5,
                s(
                    "Aucune population significativement en retrait (taux de fausses découvertes 5 %)."
                ),
            )
        for w in context[key]:
            pdf.para(
                0,
                4.6,
                s(
                    f"• {w['group']} — {w['measure']} : {w['value']} ({w['difference']} ; {w['kind']} ; q = {w['q']})"
                ),
            )
        pdf.ln(2)
    for key, where in (
        ("breakdowns_region", context["region_label"]),
        ("breakdowns_nation", "France"),
    ):
        pdf.set_font(pdf.family, "B", 11)
        pdf.para(0, 7, s(f"Populations — {where} (dernière vague)"))
        for t in context[key]:
            pdf.set_font(pdf.family, "B", 7.5)
            for w, h in zip(
                (70, 16, 18, 18, 18, 18),
                (t["label"], "n", "IQVT", "évol.", "IDC", "évol."),
                strict=True,
            ):
                pdf.cell(w, 4.6, s(h), border="B")
            pdf.ln()
            pdf.set_font(pdf.family, size=7)
            for r in t["rows"]:
                for i, (w, c) in enumerate(
                    zip((70, 16, 18, 18, 18, 18), [r["label"], r["n"], *r["cells"]], strict=True)
                ):
                    pdf.cell(w, 4.4, s(c), align="L" if i == 0 else "R")
                pdf.ln()
            pdf.ln(1.5)
    pdf.add_page()
    table("Items (% de réponses favorables)", context["items"])
    return bytes(pdf.output())


def write_report(results: Results, out_dir: Path, *, region: str) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    context = report_context(results, region)
    html_path = out_dir / f"barometre-{region.lower()}.html"
    html_path.write_text(render_html(context), encoding="utf-8")
    pdf_path = out_dir / f"barometre-{region.lower()}.pdf"
    pdf_path.write_bytes(render_pdf(context, chart_data(results, region)))
    charts_dir = out_dir / "charts"
    charts_dir.mkdir(exist_ok=True)
    for name, spec in context["specs"].items():
        (charts_dir / f"{name}.vl.json").write_text(spec, encoding="utf-8")
    return html_path, pdf_path
