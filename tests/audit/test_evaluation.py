from __future__ import annotations

from pathlib import Path

import pytest

from parcours.audit.evaluation import Evaluation, Truth, TruthReading, evaluate, read_truth
from parcours.errors import InvalidInput


def test_metrics_by_hand() -> None:
    truth = {
        ("a", "1"): "colleague",
        ("a", "2"): "curiosity",
        ("b", "3"): "protected",
        ("c", "4"): "curiosity",
    }
    alerts = [
        ("a", "1", "mandatory"),
        ("b", "3", "mandatory"),
        ("x", "9", "mandatory"),
        ("a", "2", "optional"),
        ("y", "8", "optional"),
    ]
    naive = [(str(i), "n", "optional") for i in range(50)]
    ev = evaluate(alerts, Truth(truth), naive=naive)
    assert (ev.mandatory.precision, ev.mandatory.recall) == (2 / 3, 2 / 4)
    assert (ev.examined.precision, ev.examined.recall) == (3 / 5, 3 / 4)
    assert ev.per_kind["curiosity"] == (2, 0, 1)
    assert (ev.situations, ev.agents, ev.mandatory_agents) == (5, 4, 3)
    assert ev.reduction == 10.0
    assert ev.misses == [("c", "4", "curiosity")]


def test_truth_file_must_have_the_contract_columns(tmp_path: Path) -> None:
    bad = tmp_path / "truth.csv"
    bad.write_text("agent,de,kind\n")
    with pytest.raises(InvalidInput, match="absentes : agent_id,de_id"):
        read_truth(bad)


def test_truth_files_from_elsewhere_are_read_as_they_are(tmp_path: Path) -> None:
    # Semicolons, a byte-order mark, extra columns, no kind, spaces around values.
    path = tmp_path / "verite.csv"
    path.write_text(
        "\ufeffde_id;agent_id;first_seen;note\nDE1; A1 ;2024-04-02;x\nDE2;A2;;\nDE1;A1;;again\n",
        encoding="utf-8",
    )
    truth = read_truth(path)
    assert truth.kinds == {("A1", "DE1"): "non précisé", ("A2", "DE2"): "non précisé"}
    assert truth.levels is None
    ev = evaluate([("A1", "DE1", "mandatory")], truth)
    assert ev.per_kind == {"non précisé": (2, 1, 1)}
    assert (ev.mandatory.recall, ev.examined.recall) == (0.5, 0.5)


def test_expected_levels_make_mandatory_recall_count_mandatory_pairs_only(tmp_path: Path) -> None:
    path = tmp_path / "truth.csv"
    path.write_text(
        "agent_id,de_id,kind,level\n"
        "a,1,colleague,mandatory\n"
        "b,2,curiosity,optional\n"
        "c,3,protected,mandatory\n"
        "c,3,protected,optional\n"
    )
    truth = read_truth(path)
    assert truth.levels == {
        ("a", "1"): "mandatory",
        ("b", "2"): "optional",
        ("c", "3"): "mandatory",
    }
    alerts = [("a", "1", "mandatory"), ("b", "2", "mandatory"), ("c", "3", "optional")]
    ev = evaluate(alerts, truth)
    # Mandatory: 1 of the 2 pairs that deserve it; both mandatory flags are on real misuse.
    assert (ev.mandatory.recall, ev.mandatory.precision) == (0.5, 1.0)
    assert (ev.examined.recall, ev.examined.precision) == (1.0, 1.0)


def test_a_bad_level_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "truth.csv"
    path.write_text("agent_id,de_id,level\na,1,mandatory\nb,2,urgent\n")
    with pytest.raises(InvalidInput) as err:
        read_truth(path)
    assert [(i.line, i.column) for i in err.value.issues] == [(3, "level")]


def test_levels_in_french_any_case_or_empty(tmp_path: Path) -> None:
    path = tmp_path / "truth.csv"
    path.write_text("agent_id;de_id;level\na;1;Obligatoire\nb;2;FACULTATIF\nc;3;\nd;4;Optional\n")
    assert read_truth(path).levels == {
        ("a", "1"): "mandatory",
        ("b", "2"): "optional",
        ("c", "3"): "mandatory",
        ("d", "4"): "optional",
    }


def test_truth_reading_counts_what_it_sets_aside(tmp_path: Path) -> None:
    path = tmp_path / "truth.csv"
    path.write_text(
        "agent_id,de_id,kind,level\n"
        "a,1,colleague,mandatory\n"
        "b,2,curiosity,optional\n"
        "a,1,colleague,mandatory\n"  # a plain duplicate
        "a,1,curiosity,mandatory\n"  # a duplicate whose kind contradicts the first row
        "b,2,curiosity,mandatory\n"  # a duplicate whose level contradicts: mandatory wins
        "c,3,protected,mandatory,surplus,fields\n"
    )
    truth = read_truth(path)
    assert truth.kinds == {
        ("a", "1"): "colleague",
        ("b", "2"): "curiosity",
        ("c", "3"): "protected",
    }
    assert truth.levels == {
        ("a", "1"): "mandatory",
        ("b", "2"): "mandatory",
        ("c", "3"): "mandatory",
    }
    assert truth.reading == TruthReading(
        rows=6, duplicates=3, kind_conflicts=1, level_conflicts=1, surplus_fields=1
    )
    assert truth.summary() == (
        "vérité : 6 lignes, 3 paires distinctes, 3 doublons ignorés, "
        "1 type contradictoire (le premier est gardé), "
        "1 niveau contradictoire (obligatoire l'emporte), "
        "1 ligne avec des champs en trop (ignorés)"
    )


def test_a_clean_truth_says_only_its_rows_and_pairs(tmp_path: Path) -> None:
    path = tmp_path / "truth.csv"
    path.write_text("agent_id,de_id\na,1\nb,2\n")
    assert read_truth(path).summary() == "vérité : 2 lignes, 2 paires distinctes"


def test_a_truth_without_any_pair_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "truth.csv"
    path.write_text("agent_id,de_id,kind\n")
    with pytest.raises(InvalidInput, match="aucune paire agent_id,de_id"):
        read_truth(path)


def test_errors_name_the_physical_line_despite_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "truth.csv"
    path.write_text("agent_id,de_id\na,1\n\n\n,2\n")
    with pytest.raises(InvalidInput) as err:
        read_truth(path)
    assert [i.line for i in err.value.issues] == [5]


def _scores_line(ev: Evaluation, label: str) -> list[str]:
    line = next(x for x in ev.lines() if x.startswith(label))
    return line[len(label) :].split()


def test_undefined_ratios_print_a_dash_not_zero() -> None:
    # Every pair deserves optional examination only: mandatory recall has nothing to count.
    truth = Truth({("a", "1"): "colleague"}, levels={("a", "1"): "optional"})
    ev = evaluate([("a", "1", "mandatory")], truth)
    assert _scores_line(ev, "obligatoire") == ["1.000", "—", "—", "1"]
    assert _scores_line(ev, "oblig.+facult.") == ["1.000", "1.000", "1.000", "1"]
    # No alert at all: precision (and so F1) is undefined, recall is a real 0.
    ev = evaluate([], Truth({("a", "1"): "colleague"}))
    assert _scores_line(ev, "obligatoire") == ["—", "0.000", "—", "0"]
    # Flagged pairs, none right: a real 0 everywhere.
    ev = evaluate([("x", "9", "mandatory")], Truth({("a", "1"): "colleague"}))
    assert _scores_line(ev, "obligatoire") == ["0.000", "0.000", "0.000", "1"]


def test_an_empty_run_still_reports_the_naive_baseline() -> None:
    naive = [("a", "1", "optional"), ("a", "2", "optional"), ("b", "3", "mandatory")]
    ev = evaluate([], Truth({("a", "1"): "colleague"}), naive=naive)
    assert ev.reduction is None
    assert ev.lines()[-1] == (
        "référence naïve : 3 situations, 2 agents ; "
        "charge divisée par — (aucune situation dans la campagne évaluée)"
    )
    ev = evaluate([("a", "1", "mandatory")], Truth({("a", "1"): "colleague"}), naive=[])
    assert ev.lines()[-1] == "référence naïve : 0 situations, 0 agents"


@pytest.mark.parametrize(
    ("content", "line", "said"),
    [
        # Old code: a csv.Error traceback (field larger than field limit).
        (f'agent_id,de_id,kind\na,1,colleague\nb,2,"{"x" * 200_000}"\n', 3, "champ de plus de"),
        # Old code: the pair (b, "2\nc,3,...") was kept, its de_id holding the rest of the file.
        (
            'agent_id,de_id,kind\na,1,colleague\nb,"2,curiosity\nc,3,protected\n',
            3,
            "jamais refermé",
        ),
        # Old code: "agent_id et de_id obligatoires", at line 5 (the record's last line).
        (
            'agent_id,de_id,kind\na,1,colleague\n"b,2,curiosity\nc,3,protected\n\n',
            3,
            "jamais refermé",
        ),
        # Old code: ("a", "1\x00") was a pair like any other.
        ("agent_id,de_id\na,1\nb,2\x00\n", 3, "caractère NUL"),
        # Old code: the de_id "12" was kept.
        ('agent_id;de_id\na;"1"2\n', 2, "guillemets incorrects"),
    ],
)
def test_a_truth_the_csv_module_cannot_read_is_refused_at_its_record(
    tmp_path: Path, content: str, line: int, said: str
) -> None:
    """Old code: see each case; only OSError and UnicodeDecodeError were caught."""
    path = tmp_path / "truth.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        read_truth(path)
    [issue] = err.value.issues
    assert (issue.file, issue.line) == (str(path), line)
    assert said in issue.reason


def test_errors_name_the_line_a_multi_line_record_starts_on(tmp_path: Path) -> None:
    """Old code: the record's last line (csv line_num), 4 here."""
    path = tmp_path / "truth.csv"
    path.write_text('agent_id,de_id,kind\na,1,colleague\n,2,"two\nlines"\n')
    with pytest.raises(InvalidInput) as err:
        read_truth(path)
    assert [i.line for i in err.value.issues] == [3]
