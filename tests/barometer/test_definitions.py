"""The data files load into typed objects; their errors name file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from parcours.barometer.definitions import HERE, load_definitions
from parcours.errors import InvalidInput


def test_shipped_definitions_load() -> None:
    d = load_definitions()
    assert {"iqvt", "idc", "charge", "reunions", "confiance", "motivation", "marges", "rythme",
            "metier", "si", "strategie", "rse"} <= set(d.indices)  # fmt: skip
    assert list(d.indices)[:2] == ["iqvt", "idc"]
    assert d.indices["iqvt"].scoring == "mean_0_100"
    for index in d.indices.values():
        assert set(index.items) <= set(d.questionnaire.items)
    assert "OCC" in d.population.attributes["region"].values


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    root = tmp_path / "defs"
    shutil.copytree(HERE / "indices", root / "indices")
    for name in ("questionnaire.yaml", "population.yaml"):
        shutil.copy(HERE / name, root / name)
    return root


def test_errors_name_file_and_line(copy: Path) -> None:
    (copy / "indices" / "broken.yaml").write_text(
        "id: broken\nlabel: Cassé\nkind: theme\nscoring: median\nitems: [Q01, Q99]\n",
        encoding="utf-8",
    )
    (copy / "indices" / "wrongid.yaml").write_text(
        "id: other\nlabel: X\nkind: dashboard\nscoring: mean_0_100\nitems: [Q01]\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as info:
        load_definitions(copy)
    found = {(Path(i.file).name, i.line, i.column) for i in info.value.issues}
    assert ("broken.yaml", 4, "scoring") in found
    assert ("broken.yaml", 5, "items") in found
    assert ("wrongid.yaml", 1, "id") in found
    assert ("wrongid.yaml", 3, "kind") in found
    assert any("Q99" in i.reason for i in info.value.issues)


def test_yaml_syntax_error_is_located(copy: Path) -> None:
    (copy / "indices" / "bad.yaml").write_text(
        "id: bad\nitems: [Q01\nkind: theme\n", encoding="utf-8"
    )
    with pytest.raises(InvalidInput) as info:
        load_definitions(copy)
    (issue,) = info.value.issues
    assert issue.file.endswith("bad.yaml") and issue.line is not None and issue.line >= 2


def test_unknown_attribute_in_consistency_rule(copy: Path) -> None:
    text = (copy / "population.yaml").read_text(encoding="utf-8")
    (copy / "population.yaml").write_text(
        text.replace("attribute: portfolio", "attribute: portefeuille"), encoding="utf-8"
    )
    with pytest.raises(InvalidInput, match="portefeuille"):
        load_definitions(copy)
