"""`parcours scenarios`, `parcours detect`, `parcours alerts export`, `parcours evaluate`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from parcours.cli._shared import parse_day
from parcours.errors import InvalidInput, NotFound, ParcoursError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from parcours.audit.models import Alert, DetectionRun

# Messages carry user text (paths, ids, scenario fields such as `[wave]`): every piece of it is
# escaped before printing, and emoji codes stay off so that a `:name:` in a path is printed as is.
console = Console(emoji=False)

HOURS_NOTICE = (
    "Les jours et horaires habituels servent uniquement au risque de confidentialité ; "
    "ils ne mesurent jamais le temps de travail (ce serait un détournement de finalité)."
)


def _say(message: str, style: str | None = None) -> None:
    """Print user-supplied text as it is: no markup, no wrapping inside a path."""
    text = escape(message)
    console.print(f"[{style}]{text}[/{style}]" if style else text, soft_wrap=True)


def _fail(exc: ParcoursError) -> None:
    console.print(f"[red]Erreur :[/red] {escape(str(exc))}", soft_wrap=True)
    raise typer.Exit(code=2)


scenarios_app = typer.Typer(
    help="Scénarios de détection (fichiers déclaratifs).", no_args_is_help=True
)
alerts_app = typer.Typer(
    help="Alertes produites par les campagnes de détection.", no_args_is_help=True
)


@scenarios_app.command("list")
def scenarios_list() -> None:
    """Lister les scénarios."""
    from parcours.audit.scenario import load_scenarios

    try:
        scenarios = load_scenarios()
    except InvalidInput as exc:
        _fail(exc)
        return
    t = Table("id", "vague", "titre", "guide", "campagne naïve")
    for s in scenarios:
        t.add_row(
            escape(s.id),
            str(s.spec.wave),
            escape(s.spec.title),
            escape(s.spec.guide),
            "oui" if s.spec.in_naive_baseline else "non",
        )
    console.print(t)


@scenarios_app.command("show")
def scenarios_show(scenario_id: str) -> None:
    """Afficher un scénario : description, paramètres, règle de niveau, requête."""
    from parcours.audit.scenario import SCENARIOS_DIR, describe, load_scenario

    # Compared with the folder's files, not looked up on disk: an id too long for the file system,
    # or one with a `/`, is unknown rather than an OSError or a file outside the folder.
    path = SCENARIOS_DIR / f"{scenario_id}.yaml"
    if path not in set(SCENARIOS_DIR.glob("*.yaml")):
        console.print(f"[red]Scénario inconnu :[/red] {escape(scenario_id)}", soft_wrap=True)
        raise typer.Exit(code=2)
    try:
        s = load_scenario(path)
    except InvalidInput as exc:
        _fail(exc)
        return
    d = describe(s)
    console.print(
        f"[bold]{escape(str(d['id']))}[/bold] — "
        + escape(f"{d['title']} (vague {d['wave']}, guide « {d['guide']} »)")
    )
    # Descriptions, parameters and SQL (`list[i]`) are data: printed without markup.
    console.print(str(d["description"]), markup=False)
    console.print(f"paramètres : {d['parameters']}", markup=False)
    console.print(f"niveaux : {d['level']}", markup=False)
    console.print(s.sql, markup=False)


@scenarios_app.command("validate")
def scenarios_validate(
    folder: Annotated[
        Path | None,
        typer.Argument(
            help="Dossier de scénarios à valider (un brouillon) ; défaut : ceux du produit."
        ),
    ] = None,
) -> None:
    """Valider tous les scénarios (YAML et SQL) ; chaque erreur cite le fichier et la ligne."""
    from parcours.audit.scenario_check import validate_scenarios

    if folder is not None and not folder.is_dir():
        _say(f"{folder} n'est pas un dossier de scénarios (<id>.yaml et <id>.sql).", "red")
        raise typer.Exit(code=2)
    issues = validate_scenarios() if folder is None else validate_scenarios(folder)
    for i in issues:
        _say(str(i), "red")
    if issues:
        raise typer.Exit(code=1)
    console.print("Tous les scénarios sont valides.")


def detect(
    start: Annotated[
        str, typer.Option("--start", help="Premier jour (AAAA-MM-JJ, heure de Paris).")
    ],
    end: Annotated[str, typer.Option("--end", help="Dernier jour inclus (AAAA-MM-JJ).")],
    naive: Annotated[
        bool, typer.Option("--naive", help="Requêtes de campagne simples (référence).")
    ] = False,
    input_dir: Annotated[
        str | None,
        typer.Option(
            "--input",
            help="Dossier d'échange (CSV/Parquet) au lieu de l'entrepôt ; avec Spark, aussi une "
            "URI de stockage (hdfs://, s3a://...).",
        ),
    ] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
) -> None:
    """Lancer une campagne de détection sur la période."""
    from parcours.audit.campaign import run_campaign

    d0, d1 = parse_day(start, "--start"), parse_day(end, "--end")
    try:
        result = run_campaign(start=d0, end=d1, naive=naive, progress=progress, input_dir=input_dir)
    except ParcoursError as exc:
        _fail(exc)
        return
    p = result.pipeline
    console.print(
        f"Campagne {result.run_id} ({'référence naïve' if naive else 'détection'}) du {d0} au {d1}"
    )
    for w in p.inputs.warnings():
        _say(f"• {w}", "yellow")
    if p.explanation.consultations == 0:
        console.print("[yellow]Aucune consultation sur la période : aucune alerte.[/yellow]")
    ex = p.explanation
    if not naive and ex.consultations:
        console.print(
            f"{ex.consultations} consultations, {100 * ex.share_explained:.1f} % expliquées "
            f"({100 * ex.strong / ex.consultations:.1f} % par un contexte fort)"
        )
        t = Table("explication", "consultations", "part")
        for k, n in ex.per_explanation.items():
            t.add_row(k, str(n), f"{100 * n / ex.consultations:.1f} %")
        console.print(t)
    t = Table("niveau", "situations", "agents")
    for level in ("mandatory", "optional"):
        sel = [a for a in result.alerts if a.level == level]
        t.add_row(level, str(len(sel)), str(len({a.agent_id for a in sel})))
    console.print(t)
    console.print(f"Identités : {p.identity_resolver} ({p.identity_matches} correspondances)")
    console.print(HOURS_NOTICE)


@alerts_app.command("export")
def alerts_export(
    file: Path,
    run: Annotated[
        str | None, typer.Option("--run", help="Campagne (défaut : la dernière).")
    ] = None,
) -> None:
    """Exporter les alertes (obligatoires et facultatives) d'une campagne en CSV."""
    from parcours.audit.alerts_store import export_csv, latest_run
    from parcours.db import get_engine
    from parcours.migrate import upgrade

    db = get_engine()
    try:
        upgrade(db)
        run_id = run if run is not None else latest_run(db).run_id
        n = export_csv(db, run_id, file)
    except ParcoursError as exc:
        _fail(exc)
        return
    _say(f"{n} alertes de la campagne {run_id} écrites dans {file}")


def _pairs(alerts: list[Alert]) -> list[tuple[str, str, str]]:
    return [(a.agent_id, a.de_id, a.level) for a in alerts]


def _naive_baseline(
    db: Engine, evaluated: DetectionRun, naive_run: str | None
) -> DetectionRun | None:
    """The run named by --naive-run, refused unless naive and of the evaluated run's period; by
    default the latest naive run of that period, or none (a warning, the scores still print)."""
    from parcours.audit.alerts_store import check_naive_baseline, get_run, latest_run

    if naive_run is not None:
        baseline = get_run(db, naive_run)
        check_naive_baseline(baseline, evaluated)
        return baseline
    try:
        return latest_run(db, naive=True, period_of=evaluated.run_id)
    except NotFound:
        _say("Pas de référence naïve de même période : lancer `parcours detect --naive`.", "yellow")
        return None


def evaluate_cmd(
    truth: Annotated[
        Path,
        typer.Option(
            "--truth", help="Vérité terrain CSV : agent_id,de_id (kind, level facultatifs)."
        ),
    ],
    run: Annotated[
        str | None, typer.Option("--run", help="Campagne évaluée (défaut : la dernière).")
    ] = None,
    naive_run: Annotated[
        str | None,
        typer.Option("--naive-run", help="Référence naïve (défaut : la dernière de même période)."),
    ] = None,
) -> None:
    """Précision, rappel et F1 par niveau et par type ; charge d'examen contre la référence naïve."""
    from parcours.audit.alerts_store import get_run, latest_run, run_alerts
    from parcours.audit.evaluation import evaluate, read_truth
    from parcours.db import get_engine
    from parcours.migrate import upgrade

    db = get_engine()
    try:
        upgrade(db)
        truth_pairs = read_truth(truth)
        evaluated = get_run(db, run) if run is not None else latest_run(db)
        alerts = _pairs(run_alerts(db, evaluated.run_id))
        baseline = _naive_baseline(db, evaluated, naive_run)
        naive = None if baseline is None else _pairs(run_alerts(db, baseline.run_id))
    except ParcoursError as exc:
        _fail(exc)
        return
    ev = evaluate(alerts, truth_pairs, naive=naive)
    _say(f"Campagne {evaluated.run_id}")
    if baseline is not None:
        _say(f"Référence naïve {baseline.run_id}")
    _say(truth_pairs.summary())
    for line in ev.lines():
        _say(line)


def register(app: typer.Typer) -> None:
    app.add_typer(scenarios_app, name="scenarios")
    app.add_typer(alerts_app, name="alerts")
    app.command("detect")(detect)
    app.command("evaluate")(evaluate_cmd)
