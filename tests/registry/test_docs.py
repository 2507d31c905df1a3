"""The documentation follows the code: every setting and every contract file and column is documented."""

from __future__ import annotations

import re
from pathlib import Path

from parcours.config import Settings
from parcours.registry.contract import FILES, check_contract

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_setting_is_documented() -> None:
    table = (DOCS / "settings.md").read_text(encoding="utf-8")
    rows = {m[0]: m[1:] for m in re.findall(r"^\| `(\w+)` \| `(\w+)` \| `([^`]*)` \|", table, re.M)}
    for name, field in Settings.model_fields.items():
        assert name in rows, f"setting {name} is missing from docs/settings.md"
        env = (
            field.validation_alias
            if isinstance(field.validation_alias, str)
            else f"PARCOURS_{name.upper()}"
        )
        assert rows[name] == (env, str(field.default)), f"docs/settings.md row of {name} is stale"
        assert field.description, f"setting {name} has no description"


def test_formats_doc_names_every_file_and_column() -> None:
    doc = (DOCS / "formats.md").read_text(encoding="utf-8")
    for spec in FILES:
        section = doc.split(f"### `{spec.name}.csv`", 1)
        assert len(section) == 2, f"docs/formats.md has no section for {spec.name}.csv"
        body = section[1].split("### ", 1)[0]
        for column in spec.column_names:
            assert f"| `{column}` |" in body, f"{spec.name}.{column} is not documented"
        for col in spec.columns:
            for value in col.values:
                assert f"`{value}`" in body


def test_contract_is_consistent() -> None:
    assert check_contract() == []


def test_contract_lengths_match_the_tables() -> None:
    import parcours.models  # noqa: F401
    from parcours.db import Base

    for spec in FILES:
        if spec.table is None:
            continue
        table = Base.metadata.tables[spec.table]
        assert set(spec.column_names) <= set(table.columns.keys())
        for col in spec.columns:
            length = getattr(table.columns[col.name].type, "length", None)
            if length is not None and col.max_length is not None:
                assert col.max_length <= length, (
                    f"{spec.name}.{col.name}: {col.max_length} > {length}"
                )
