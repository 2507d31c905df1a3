"""`parcours identity evaluate --pairs FILE` on files it cannot use: a message and exit code 2.

Old code: a file not in UTF-8 ended with a UnicodeDecodeError traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from parcours.cli.main import app

COLUMNS = (
    "pair_id,label,left_source,left_last_name,left_first_names,left_birth_date,left_department,"
    "right_source,right_last_name,right_first_names,right_birth_date,right_department"
)


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("nom;prénom\n".encode("latin-1"), "n'est pas en UTF-8"),
        (b"", "colonnes manquantes : pair_id, label,"),
        (
            f'{COLUMNS}\np1,same,a,"{"x" * 200_000}",B,1980-01-01,31,b,X,Y,1980-01-01,31\n'.encode(),
            "pairs.csv:2: champ de plus de 131072 caractères",
        ),
        (
            f"{COLUMNS}\np1,peut-être,a,X,Y,1980-01-01,31,b,X,Y,01/01/1980,31\n"
            f"p2,same,a,X,Y,1980-01-01,31,b,X,Y,01/01/1980,31\n".encode(),
            "pairs.csv:3 [right_birth_date]: date AAAA-MM-JJ attendue, reçu '01/01/1980'",
        ),
    ],
)
def test_an_unusable_pairs_file_is_a_message(tmp_path: Path, content: bytes, said: str) -> None:
    path = tmp_path / "pairs.csv"
    path.write_bytes(content)
    out = CliRunner().invoke(app, ["identity", "evaluate", "--pairs", str(path)])
    assert out.exit_code == 2, out.output
    assert said in out.output, out.output


ROW = "a,X,Y,1980-01-01,31,b,X,Y,1980-01-01,31"


@pytest.mark.parametrize(
    ("content", "said"),
    [
        # Old code: scores were kept by pair_id, so both p1 took the score of one of them.
        (
            f"{COLUMNS}\np1,same,{ROW}\np2,same,{ROW}\np1,different,{ROW}\n",
            "pairs.csv:4 [pair_id]: pair_id 'p1' déjà vu ligne 2",
        ),
        # Old code: the missing fields read as empty, a pair of two blank records.
        (f"{COLUMNS}\np1,same,{ROW}\np2,same,a,X\n", "pairs.csv:3: 4 champs au lieu de 12"),
        # Old code: recall 1.0000 (0/0), exit code 0.
        (f"{COLUMNS}\n", "pairs.csv: aucune paire étiquetée"),
        # Old code: line 4 named, the last line of the record (its quoted field holds a line end).
        (
            f'{COLUMNS}\np1,same,{ROW}\np2,peut-être,"a\nb",X,Y,1980-01-01,31,b,X,Y,1980-01-01,31\n',
            "pairs.csv:3 [label]: étiquette inconnue",
        ),
    ],
)
def test_pairs_that_would_corrupt_the_measure_are_refused(
    tmp_path: Path, content: str, said: str
) -> None:
    """Old code: see each case; the measure was printed with exit code 0."""
    path = tmp_path / "pairs.csv"
    path.write_text(content, encoding="utf-8")
    out = CliRunner().invoke(app, ["identity", "evaluate", "--pairs", str(path)])
    assert out.exit_code == 2, out.output
    assert said in " ".join(out.output.split()), out.output
