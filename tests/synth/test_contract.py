"""The files follow the interchange contract exactly, and generation is deterministic."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from parcours.errors import InvalidInput
from parcours.synth import SynthSummary, generate
from parcours.synth.output import CONTRACT, TRUTH_COLUMNS, TRUTH_PLAN_COLUMNS


def _header(path: Path) -> tuple[str, ...]:
    with path.open(encoding="utf-8", newline="") as f:
        return tuple(next(csv.reader(f)))


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_every_contract_file_has_exactly_the_contract_columns(
    tiny: tuple[Path, SynthSummary],
) -> None:
    out, _ = tiny
    for name, columns in CONTRACT.items():
        assert _header(out / f"{name}.csv") == columns, name
    assert _header(out / "truth.csv") == TRUTH_COLUMNS == ("agent_id", "de_id", "kind")


def test_the_plan_describes_exactly_the_truth_pairs(tiny: tuple[Path, SynthSummary]) -> None:
    out, _ = tiny
    assert _header(out / "truth_plan.csv") == TRUTH_PLAN_COLUMNS
    with (out / "truth.csv").open(encoding="utf-8", newline="") as f:
        truth = {(r["agent_id"], r["de_id"], r["kind"]) for r in csv.DictReader(f)}
    with (out / "truth_plan.csv").open(encoding="utf-8", newline="") as f:
        plan = list(csv.DictReader(f))
    assert {(r["agent_id"], r["de_id"], r["kind"]) for r in plan} == truth
    for r in plan:
        assert r["same_agency"] in ("true", "false") and r["single_view"] in ("true", "false")
        assert r["timing"] in ("office", "off_hours", "mixed")
        assert r["forced_action"] in ("none", "print", "export") and int(r["episodes"]) >= 1


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    a = generate(scale="tiny", seed=5, out=tmp_path / "a", progress=False)
    b = generate(scale="tiny", seed=5, out=tmp_path / "b", progress=False)
    c = generate(scale="tiny", seed=6, out=tmp_path / "c", progress=False)
    assert a.rows == b.rows
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a")["truth.csv"] != _digest(tmp_path / "c")["truth.csv"]
    assert c.rows["consultations"] > 0


def test_parquet_consultations_hold_the_same_columns(tmp_path: Path) -> None:
    generate(scale="tiny", seed=2, out=tmp_path, progress=False, consultations_format="parquet")
    parts = sorted((tmp_path / "consultations").glob("part-*.parquet"))
    assert parts
    assert tuple(pq.read_schema(parts[0]).names) == CONTRACT["consultations"]
    con = duckdb.connect()
    total = con.execute(
        f"select count(*), count(distinct event_id) from read_parquet('{tmp_path}/consultations/*.parquet')"
    ).fetchone()
    assert total is not None and total[0] == total[1] > 0


def test_csv_values_follow_the_formats(tiny: tuple[Path, SynthSummary]) -> None:
    out, _ = tiny
    con = duckdb.connect()

    def one(sql: str) -> object:
        row = con.execute(sql).fetchone()
        assert row is not None
        return row[0]

    f = lambda name: f"read_csv('{out}/{name}.csv', all_varchar=true)"  # noqa: E731
    assert (
        one(
            f"select count(*) from {f('consultations')} where not regexp_full_match(ts, '\\d{{4}}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d')"
        )
        == 0
    )
    assert (
        one(
            f"select count(*) from {f('calls')} where not regexp_full_match(started_at, '\\d{{4}}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ')"
        )
        == 0
    )
    assert (
        one(
            f"select count(*) from {f('consultations')} where action not in ('view','edit','print','export')"
        )
        == 0
    )
    assert (
        one(
            f"select count(*) from {f('agents')} where job not in ('conseiller','gdd','manager','plateforme','support','direction')"
        )
        == 0
    )
    assert (
        one(
            f"select count(*) from {f('appointments')} where status not in ('planned','done','no_show','cancelled')"
        )
        == 0
    )
    assert (
        one(
            f"select count(*) from {f('protected_persons')} where category not in ('elected','candidate')"
        )
        == 0
    )
    assert (
        one(f"select count(*) from {f('establishments')} where kind not in ('DR','DG','DSI','PES')")
        == 0
    )
    assert (
        one(f"select count(*) from {f('agencies')} where msa_experiment not in ('true','false')")
        == 0
    )
    assert one(f"select count(*) - count(distinct event_id) from {f('consultations')}") == 0
    assert one(f"select count(*) from {f('job_seekers')} where sex not in ('F','M')") == 0


def test_another_period_across_a_daylight_saving_change(tmp_path: Path) -> None:
    from datetime import date

    from parcours.synth import Period

    summary = generate(
        scale="tiny", seed=3, out=tmp_path, progress=False,
        period=Period(date(2024, 10, 1), date(2024, 12, 31)),
    )  # fmt: skip
    assert summary.truth["colleague"] > 0
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    first, last = con.execute(
        f"select min(ts::timestamp), max(ts::timestamp) from read_csv('{tmp_path}/consultations.csv', all_varchar=true)"
    ).fetchone() or (None, None)
    assert first is not None and last is not None
    assert str(first) >= "2024-10-01" and str(last) < "2025-01-01"
    # Calls are UTC: Paris is UTC+2 before 27 October and UTC+1 after; office calls start
    # between 6 and 19 h UTC on both sides of the change.
    hours = con.execute(
        f"""select started_at < '2024-10-27' as summer, min(hour(started_at::timestamptz)),
                   max(hour(started_at::timestamptz))
            from read_csv('{tmp_path}/calls.csv', all_varchar=true) group by 1 order by 1"""
    ).fetchall()
    assert len(hours) == 2
    for _, low, high in hours:
        assert low >= 5 and high <= 19


def test_cover_revisits_add_legitimate_looks_only(
    tiny: tuple[Path, SynthSummary], tmp_path: Path
) -> None:
    """The robustness variant changes the legitimate traffic, nothing else: same reference files,
    same truth, more consultations; the share is recorded and checked."""
    base, summary = tiny
    out = tmp_path / "cover"
    variant = generate(scale="tiny", seed=11, out=out, progress=False, cover_revisits=0.5)
    same = [f"{n}.csv" for n in CONTRACT if n != "consultations"] + ["truth.csv", "truth_plan.csv"]
    for name in same:
        assert (out / name).read_bytes() == (base / name).read_bytes(), name
    assert variant.rows["consultations"] > summary.rows["consultations"]
    assert '"cover_revisits": 0.5' in (out / "truth_meta.json").read_text(encoding="utf-8")
    with pytest.raises(InvalidInput):
        generate(scale="tiny", seed=11, out=tmp_path / "bad", progress=False, cover_revisits=1.5)
