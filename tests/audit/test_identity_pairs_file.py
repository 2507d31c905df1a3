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
            "CSV illisible après la ligne",
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
