"""`parcours barometer ...`: synthetic waves, import, validation of the definitions, results, report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from parcours.cli._shared import migrated_engine

if TYPE_CHECKING:
    from sqlalchemy import Engine

console = Console()
barometer_app = typer.Typer(
    help="Baromètre interne : vagues, indices, résultats protégés, rapport CSE."
)


def register(app: typer.Typer) -> None:
    app.add_typer(barometer_app, name="barometer")


@barometer_app.command("synth")
def synth(
    out: Annotated[Path, typer.Option("--out", help="Fichier CSV à écrire.")],
    waves: Annotated[
        str, typer.Option(help="Vagues AAAA-MM séparées par des virgules.")
    ] = "2024-03,2024-10",
    respondents: Annotated[int, typer.Option(help="Répondants par vague.")] = 10000,
    seed: Annotated[int, typer.Option(help="Graine du générateur.")] = 2024,
) -> None:
    """Générer des vagues d'enquête synthétiques (démo et tests)."""
    from parcours.barometer.synth import SynthOptions, parse_waves, write_survey

    try:
        rows = write_survey(out, SynthOptions(parse_waves(waves), respondents, seed))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    console.print(f"{rows} réponses écrites dans {out}")


@barometer_app.command("import")
def import_(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Importer un fichier de réponses (une ligne par répondant et vague) ; code de sortie 1 si des
    lignes sont rejetées (les autres sont chargées)."""
    from parcours.barometer.importer import import_file
    from parcours.db import get_engine
    from parcours.errors import InvalidInput
    from parcours.migrate import upgrade

    engine = get_engine()
    upgrade(engine)
    try:
        report = import_file(file, engine=engine)
    except InvalidInput as exc:
        for issue in exc.issues:
            console.print(f"[red]{escape(str(issue))}[/red]", soft_wrap=True)
        raise typer.Exit(1) from exc
    console.print(
        f"{report.rows_read} lignes lues : {report.inserted} ajoutées, {report.updated} mises à jour, "
        f"{report.unchanged} inchangées, {report.rejected} rejetées."
    )
    for issue in report.issues[:20]:
        console.print(f"[yellow]{escape(str(issue))}[/yellow]", soft_wrap=True)
    if len(report.issues) > 20:
        console.print(f"... et {len(report.issues) - 20} autres anomalies.")
    if report.rejects_path:
        console.print(
            f"Lignes rejetées et motifs : {escape(str(report.rejects_path))}", soft_wrap=True
        )
    _check_imported_waves(engine)
    if (
        report.rejected
    ):  # as `parcours import`: a script must not take a partial load for a whole one
        raise typer.Exit(1)


def _check_imported_waves(engine: Engine) -> bool:
    """Print what the imported waves say about the consistency rules of population.yaml: rules
    they break (errors), combinations never seen that look like undeclared rules (warnings).
    Returns whether there was an error."""
    from sqlalchemy import inspect

    from parcours.barometer.definitions import default_definitions
    from parcours.barometer.models import BarometerResponse
    from parcours.barometer.service import load_responses
    from parcours.barometer.structure import check_responses

    if not inspect(engine).has_table(BarometerResponse.__tablename__):
        console.print("Aucune vague importée : combinaisons d'attributs non vérifiées.")
        return False
    definitions = default_definitions()
    errors, warnings = check_responses(
        load_responses(engine=engine, definitions=definitions), definitions.population
    )
    for issue in errors:
        console.print(f"[red]{escape(str(issue))}[/red]", soft_wrap=True)
    for issue in warnings:
        console.print(f"[yellow]{escape(str(issue))}[/yellow]", soft_wrap=True)
    return bool(errors)


@barometer_app.command("validate")
def validate() -> None:
    """Vérifier le questionnaire, les attributs et les définitions d'indices (toutes les erreurs),
    puis les vagues importées face aux règles de cohérence (règles enfreintes, règles candidates)."""
    from parcours.barometer.definitions import load_definitions
    from parcours.db import get_engine
    from parcours.errors import InvalidInput

    try:
        d = load_definitions()
    except InvalidInput as exc:
        for issue in exc.issues:
            console.print(f"[red]{escape(str(issue))}[/red]", soft_wrap=True)
        raise typer.Exit(1) from exc
    console.print(
        f"{len(d.questionnaire.items)} items, {len(d.population.attributes)} attributs, "
        f"{len(d.indices)} indices et thèmes : définitions valides."
    )
    if _check_imported_waves(get_engine()):
        raise typer.Exit(1)


@barometer_app.command("indices")
def indices() -> None:
    """Lister les indices et thèmes, leurs items et leur règle de calcul."""
    from parcours.barometer.definitions import default_definitions

    d = default_definitions()
    table = Table("id", "libellé", "type", "calcul", "items")
    for index in d.indices.values():
        table.add_row(index.id, index.label, index.kind, index.scoring, " ".join(index.items))
    console.print(table)


def _scope_code(value: str, *, nation: bool) -> str:
    """A region code of the population (or FR for the nation), case ignored; else a usage error
    naming the codes, instead of a KeyError deep in the results."""
    from parcours.barometer.definitions import default_definitions
    from parcours.barometer.results import NATION

    regions = list(default_definitions().population.attributes["region"].values)
    allowed = [NATION, *regions] if nation else regions
    code = value.strip().upper()
    if code not in allowed:
        raise typer.BadParameter(f"{value!r} : attendu {', '.join(allowed)}")
    return code


@barometer_app.command("results")
def results(
    scope: Annotated[str, typer.Option(help="FR (national) ou un code région, ex. OCC.")] = "FR",
) -> None:
    """Afficher les indices par vague pour un périmètre, avec l'écart au national et les populations à suivre."""
    from parcours.barometer.report import headline_rows
    from parcours.barometer.service import barometer_results

    scope = _scope_code(scope, nation=True)
    res = barometer_results(engine=migrated_engine())
    if not res.waves:
        console.print("Aucune vague importée.")
        raise typer.Exit(1)
    table = Table("indicateur", *res.waves, "évolution", "p")
    for row in headline_rows(res, scope):
        table.add_row(*row)
    console.print(table)
    for w in res.watch[:15]:
        console.print(
            f"• {res.group_label(w.group)} — {res.measure_label(w.measure)} : {w.value:.1f} "
            f"({w.difference:+.1f}, {w.kind}, q={w.q_value:.2g})"
        )


@barometer_app.command("report")
def report(
    out: Annotated[Path, typer.Option("--out", help="Dossier de sortie.")] = Path(
        "rapport-barometre"
    ),
    region: Annotated[str, typer.Option(help="Région du rapport (code).")] = "OCC",
) -> None:
    """Écrire le rapport CSE (HTML et PDF) pour une région face au national."""
    from parcours.barometer.report import write_report
    from parcours.barometer.service import barometer_results

    region = _scope_code(region, nation=False)
    res = barometer_results(engine=migrated_engine())
    if not res.waves:
        console.print("Aucune vague importée.")
        raise typer.Exit(1)
    html, pdf = write_report(res, out, region=region)
    console.print(f"Rapport écrit : {html} et {pdf}")
