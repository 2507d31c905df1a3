"""`parcours import DIR` and `parcours db upgrade`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from parcours.config import get_settings

if TYPE_CHECKING:
    from parcours.registry.importer import ImportSummary

ISSUES_SHOWN = 20

db_app = typer.Typer(help="Schéma de la base de données.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)
    app.add_typer(db_app, name="db")


def import_command(
    directory: Annotated[
        Path, typer.Argument(help="Dossier contenant les fichiers du contrat d'échange.")
    ],
    progress: Annotated[bool, typer.Option(help="Barres de progression.")] = True,
) -> None:
    """Importe les fichiers du contrat présents dans DIRECTORY (voir docs/formats.md)."""
    # Imported here: DuckDB, Arrow and the importer are not needed by the other commands.
    from parcours.registry.importer import import_directory

    if not directory.is_dir():
        typer.echo(f"{directory} n'est pas un dossier.", err=True)
        raise typer.Exit(2)
    summary = import_directory(directory, settings=get_settings(), progress=progress)
    print_summary(summary, Console())
    if not summary.ok or not summary.files:
        raise typer.Exit(1)


def print_summary(summary: ImportSummary, console: Console) -> None:
    from parcours.registry.contract import BY_NAME

    headers = ("lues", "chargées", "mises à jour", "rejetées", "déjà là", "non résolues")
    rows: list[tuple[str, ...]] = []
    for f in summary.files:
        if f.refused:
            rows.append(("—", "0", "—", "fichier refusé", "—", "—"))
            continue
        rows.append(
            (
                f"{f.rows_read:,}",
                f"{f.rows_loaded:,}",
                # The log is append-only: its rows are new or already there, never updated.
                f"{f.rows_updated:,}" if BY_NAME[f.file].table is not None else "—",
                f"{f.rows_rejected:,}",
                f"{f.rows_skipped:,}",
                f"{f.unresolved_refs:,}",
            )
        )
    table = Table(title=f"Import de {summary.directory}")
    # In a narrow terminal the headers wrap and then the file names fold, never a count.
    values = [max((len(r[i]) for r in rows), default=0) for i in range(len(headers))]
    natural = max((len(f.label) for f in summary.files), default=7) + sum(
        max(len(h), v) + 3 for h, v in zip(headers, values, strict=True)
    )
    table.add_column("fichier", overflow="fold")
    for name, value in zip(headers, values, strict=True):
        narrow = max([value] + [len(w) for w in name.split()])
        cap = narrow if natural + 4 > console.width else None
        table.add_column(name, justify="right", min_width=narrow, max_width=cap)
    for f, cells in zip(summary.files, rows, strict=True):
        style = "red" if f.refused else None if f.ok else "yellow"
        table.add_row(f.label, *cells, style=style)
    console.print(table)
    if not summary.files:
        console.print("Aucun fichier du contrat dans ce dossier (voir docs/formats.md).")
    if summary.ignored:
        console.print(
            "Non importés : " + ", ".join(escape(n) for n in summary.ignored),
            highlight=False,
            soft_wrap=True,
        )
    for f in summary.files:
        for issue in f.issues[:ISSUES_SHOWN]:
            console.print(f"  [red]✗[/red] {escape(str(issue))}", highlight=False, soft_wrap=True)
        hidden = max(f.rows_rejected, len(f.issues)) - min(len(f.issues), ISSUES_SHOWN)
        if hidden > 0:
            console.print(f"  … et {hidden:,} autres", highlight=False, soft_wrap=True)
        if f.rejects_path:
            console.print(f"  rejets : {f.rejects_path}", highlight=False, soft_wrap=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Crée ou met à jour le schéma (toutes les branches de migration)."""
    from parcours.db import make_engine
    from parcours.migrate import upgrade

    settings = get_settings()
    engine = make_engine(settings.sqlalchemy_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    typer.echo("Schéma à jour.")
