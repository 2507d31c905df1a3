"""What the command modules share: the migrated database, date options, data-file checks and the
way a command ends on bad input (a message and exit code 2, never a traceback).

Not a command module (the leading underscore keeps `main._register` from looking for commands here).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from parcours.dates import year_error
from parcours.errors import InvalidInput, ParcoursError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

_err = Console(stderr=True, emoji=False)


def fail(error: ParcoursError | str) -> NoReturn:
    """End the command on bad input: each problem on its own line (file:line [column]: reason)."""
    lines = [str(i) for i in error.issues] if isinstance(error, InvalidInput) else [str(error)]
    for line in lines:
        _err.print(f"[red]Erreur :[/red] {escape(line)}", soft_wrap=True)
    raise typer.Exit(code=2)


def migrated_engine() -> Engine:
    """The configured database, migrated: a fresh deployment has no tables yet, and a command run
    before `serve` or `db upgrade` migrates it rather than fail with a traceback."""
    from parcours.db import get_engine
    from parcours.migrate import upgrade

    engine = get_engine()
    upgrade(engine)
    return engine


def migrated_session() -> AbstractContextManager[Session]:
    """A unit of work on the migrated database."""
    from parcours.db import session_scope

    return session_scope(migrated_engine())


def parse_day(text: str, option: str) -> date:
    """A date option, or a usage error (exit 2) naming the option."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"date attendue au format AAAA-MM-JJ, reçu {text!r}", param_hint=option
        ) from None
    # The years forms accept too (`parcours.dates`): a placeholder such as 9999-12-31 would
    # overflow when a day is added or taken away (the day before a change, the end of a period).
    reason = year_error(day)
    if reason is not None:
        raise typer.BadParameter(reason, param_hint=option)
    return day


def check_files(checks: Iterable[tuple[Callable[[Path], object], Path]]) -> None:
    """Parse each data file: `ok<TAB>name` for a good one, every problem of a bad one (file and
    line) on stderr, exit code 1 when any is bad."""
    failed = False
    for parse, path in checks:
        try:
            parse(path)
            typer.echo(f"ok\t{path.name}")
        except InvalidInput as exc:
            failed = True
            for issue in exc.issues:
                typer.echo(str(issue), err=True)
    if failed:
        raise typer.Exit(1)
