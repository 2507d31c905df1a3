"""The works-council report: HTML and PDF from published figures only, charts from data-file specs."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from parcours.barometer.charts import CHARTS, chart_spec
from parcours.barometer.definitions import default_definitions
from parcours.barometer.report import report_context, write_report
from parcours.barometer.results import ALL, NATION, TOTAL, Group, Results, compute_results

from .test_results import synthetic

D = default_definitions()


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Results:
    frame: pd.DataFrame = synthetic(tmp_path_factory.mktemp("r"), 700, seed=21)
    return compute_results(frame, D)


def test_html_and_pdf_are_written(results: Results, tmp_path: Path) -> None:
    html_path, pdf_path = write_report(results, tmp_path, region="OCC")
    html = html_path.read_text(encoding="utf-8")
    assert "Occitanie" in html and "Populations à suivre" in html and "<svg" in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")  # nothing fetched
    reader = PdfReader(pdf_path)
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) >= 3
    assert "Occitanie" in text and "Populations à suivre" in text
    specs = sorted(p.name for p in (tmp_path / "charts").iterdir())
    assert specs == sorted(p.name for p in CHARTS.glob("*.vl.json"))


def test_report_shows_published_values_and_hides_suppressed_ones(results: Results) -> None:
    context = report_context(results, "GUF")  # a small region: many cells are suppressed
    last = results.waves[-1]
    for table in context["breakdowns_region"]:
        attr = next(a for a in D.population.attributes.values() if a.label == table["label"])
        for (code, _), row in zip(attr.values.items(), table["rows"], strict=True):
            figure = results.figure(last, "iqvt", Group("GUF", attr.name, code))
            if figure.value is None:
                assert row["cells"][0] == "s" and row["n"] == "s"
            else:
                assert row["cells"][0] == f"{figure.value:.1f}".replace(".", ",")
    headline = context["headline"][0]
    nation = results.figure(results.waves[0], "iqvt", Group(NATION, TOTAL, ALL))
    assert headline.nation[0] == f"{nation.value:.1f}".replace(".", ",")


def test_chart_specs_are_vega_lite_with_the_rows(results: Results) -> None:
    context = report_context(results, "OCC")
    for name, text in context["specs"].items():
        spec = json.loads(text.replace("<\\/", "</"))
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
        assert isinstance(spec["data"]["values"], list) and spec["data"]["values"], name
    # every value drawn in a chart is a published figure, at the tables' precision (one decimal)
    trend = json.loads(context["specs"]["index_trend"])["data"]["values"]
    published = {round(f.value, 1) for f in results.figures.values() if f.value is not None}
    assert all(r["value"] in published and r["value"] == round(r["value"], 1) for r in trend)


def test_broken_chart_spec_names_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from parcours.barometer import charts
    from parcours.errors import InvalidInput

    (tmp_path / "bad.vl.json").write_text('{\n  "mark": "bar",\n  oops\n}', encoding="utf-8")
    monkeypatch.setattr(charts, "CHARTS", tmp_path)
    charts._spec_text.cache_clear()
    with pytest.raises(InvalidInput) as info:
        chart_spec("bad", [])
    charts._spec_text.cache_clear()
    (issue,) = info.value.issues
    assert issue.file.endswith("bad.vl.json") and issue.line == 3


def test_unknown_region_is_refused(results: Results) -> None:
    with pytest.raises(ValueError, match="région inconnue"):
        report_context(results, "XX")
