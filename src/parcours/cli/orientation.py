"""`parcours rules ...` (the orientation rules) and `parcours orientation ...` (interviews,
reports, exports, what-if)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from parcours.cli._shared import migrated_session, parse_day
from parcours.errors import InvalidInput, Issue
from parcours.yamlfiles import load_mapping

if TYPE_CHECKING:
    from parcours.orientation.form import InterviewForm

console = Console()
rules_app = typer.Typer(
    help="Règles d'orientation : tester, expliquer, comparer.", no_args_is_help=True
)
orientation_app = typer.Typer(
    help="Entretiens d'orientation : démo, tableaux de bord, rapport d'écarts, simulation.",
    no_args_is_help=True,
)

P = ParamSpec("P")
R = TypeVar("R")


def register(app: typer.Typer) -> None:
    app.add_typer(rules_app, name="rules")
    app.add_typer(orientation_app, name="orientation")


def _reports_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Print every located issue (file:line) and exit 1 instead of a traceback."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except InvalidInput as exc:
            for issue in exc.issues:
                console.print(f"[red]error[/red] {escape(str(issue))}", soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper


def _period(start: str, end: str) -> tuple[date, date]:
    first, last = parse_day(start, "--start"), parse_day(end, "--end")
    if last < first:
        raise typer.BadParameter(f"{end} précède --start {start}", param_hint="--end")
    return first, last


def _usage(option: str, issues: list[Issue]) -> typer.BadParameter:
    """A usage error (exit 2) listing every problem of one option's value, with file and line:
    the located ones first, in the order of the file."""
    ordered = sorted(issues, key=lambda i: (i.line is None, i.line or 0))
    lines = [str(issue) for issue in ordered]
    return typer.BadParameter(
        "\n".join(["", *lines] if len(lines) > 1 else lines), param_hint=option
    )


DateOpt = Annotated[str, typer.Option(help="Date (YYYY-MM-DD).")]


# --- parcours rules ---------------------------------------------------------------------------


@rules_app.command("validate")
@_reports_errors
def rules_validate() -> None:
    """Check every rule file (form, vocabulary, parameters, partners, charts, drafts, test cases,
    change reasons) and list the problems of all files at once (file:line), exit 1 if any."""
    from parcours.orientation.change_reasons import CHANGE_REASONS_FILE
    from parcours.orientation.library import RULES_DIR
    from parcours.orientation.rule_cases import validate_rule_files

    rules = validate_rule_files(RULES_DIR, change_reasons=CHANGE_REASONS_FILE)
    library = rules.library
    console.print(
        f"ok: {len(library.charts)} adopted charts, {len(library.parameters.parameters)} parameters, "
        f"{len(library.capacities)} capacities, form {library.form.version}, "
        f"{len(rules.cases)} test cases, {len(rules.change_reasons)} change reasons"
    )


@rules_app.command("test")
@_reports_errors
def rules_test(
    at: Annotated[
        str | None, typer.Option(help="Only the cases judged by the rules in force on this date.")
    ] = None,
) -> None:
    """Run the YAML cases of rules/tests/ (one per branch of the chart, before and after changes)."""
    from parcours.orientation.library import default_library
    from parcours.orientation.rule_cases import check_case, load_cases

    library = default_library()
    cases = load_cases()
    if at is not None:
        version = library.chart_at(parse_day(at, "--at")).version
        cases = [c for c in cases if c.at >= library.charts[0].effective_from]
        cases = [c for c in cases if library.chart_at(c.at).version == version]
    failed = 0
    for case in cases:
        _proposal, problems = check_case(case, library)
        if problems:
            failed += 1
            console.print(f"[red]FAIL[/red] {case.file}:{case.line} {case.name}")
            for problem in problems:
                console.print(f"     {problem}")
    console.print(f"{len(cases) - failed} passed, {failed} failed")
    if failed:
        raise typer.Exit(1)


def _read_answers(path: Path) -> tuple[dict[Any, Any], dict[Any, int]]:
    """An answers file as a mapping, with the line of each key where YAML can tell it."""
    if path.suffix.lower() != ".json":
        try:
            located = load_mapping(path)
        except InvalidInput as exc:
            raise _usage("--answers", exc.issues) from None
        return located, located.key_lines
    # JSON decides what a .json file holds: YAML would read `{"age": }` as a null age.
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        problem = Issue(str(path), None, None, f"lecture impossible : {exc}")
        raise _usage("--answers", [problem]) from None
    except json.JSONDecodeError as exc:
        problem = Issue(str(path), exc.lineno, None, f"JSON invalide : {exc.msg}")
        raise _usage("--answers", [problem]) from None
    if not isinstance(data, dict):
        raise _usage(
            "--answers", [Issue(str(path), 1, None, "le fichier doit contenir un dictionnaire")]
        )
    try:  # the lines only: a tab-indented JSON file is not YAML
        return data, load_mapping(path).key_lines
    except InvalidInput:
        return data, {}


def _load_answers(path: Path | None, settings: list[str], form: InterviewForm) -> dict[str, Any]:
    """The answers of `--answers` and `--set`, checked against the form. Any problem (unreadable
    file, invalid YAML/JSON, unknown question, wrong type, value outside the choices, missing
    answer) is a usage error naming where the answer came from: the file and line, or --set."""
    answers: dict[str, Any] = {}
    origin: dict[str, tuple[str, int | None]] = {}  # question -> (file or --set, line)
    if path is not None:
        loaded, lines = _read_answers(path)
        for key, value in loaded.items():
            answers[str(key)] = value
            origin[str(key)] = (str(path), lines.get(key))
    for item in settings:
        key, equals, text = item.partition("=")
        key = key.strip()
        if not equals or not key:
            raise _usage(
                "--set", [Issue("--set", None, None, f"attendu question=valeur, reçu {item!r}")]
            )
        try:
            answers[key] = yaml.safe_load(text)
        except yaml.YAMLError:
            raise _usage(
                "--set", [Issue("--set", None, key, f"valeur illisible {text!r}")]
            ) from None
        origin[key] = ("--set", None)
    try:
        form.validate(answers)
    except InvalidInput as exc:
        source = str(path) if path is not None else "--set"
        located = [
            Issue(*origin.get(issue.column or "", (source, None)), issue.column, issue.reason)
            for issue in exc.issues
        ]
        raise _usage("--answers" if path is not None else "--set", located) from None
    return answers


@rules_app.command("explain")
@_reports_errors
def rules_explain(
    at: DateOpt,
    department: Annotated[str, typer.Option(help="Département code, e.g. 31.")],
    answers_file: Annotated[
        Path | None,
        typer.Option(
            "--answers", exists=True, dir_okay=False, help="YAML or JSON file of answers."
        ),
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="One answer, e.g. --set age=22 (repeatable).")
    ] = None,
    draft: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="Evaluate with a draft chart.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the proposal as JSON.")] = False,
) -> None:
    """Evaluate one interview's answers and show the proposal with its trace in French."""
    from parcours.orientation.evaluator import evaluate
    from parcours.orientation.library import default_library

    when = parse_day(at, "--at")
    library = default_library()
    chart = library.load_draft(draft) if draft else None
    answers = _load_answers(answers_file, set_ or [], library.form)
    proposal = evaluate(answers, at=when, department=department, library=library, chart=chart)
    if as_json:
        typer.echo(json.dumps(proposal.to_json(), ensure_ascii=False, indent=2))
        return
    vocab = library.vocabulary
    console.print(
        f"[bold]Proposition[/bold] (règles {proposal.rule_version}"
        f"{', algorithme' if proposal.algorithm else ', critères sans algorithme'}) :"
    )
    console.print(f"  organisme : {vocab.label('organisation', proposal.organisation)}")
    if proposal.delegate:
        console.print(f"  délégataire : {proposal.delegate}")
    console.print(f"  parcours  : {vocab.label('path', proposal.path)}")
    console.print(f"  modalité  : {vocab.label('modality', proposal.modality)}")
    console.print("[bold]Pourquoi[/bold] :")
    for step in proposal.trace:
        console.print(f"  - {escape(step.text)}", soft_wrap=True)
        for ref in step.references:
            console.print(f"      [dim]{escape(ref)}[/dim]", soft_wrap=True)


@rules_app.command("diff")
@_reports_errors
def rules_diff(
    at: DateOpt,
    since: Annotated[
        str | None,
        typer.Option(
            help="Compare with this date (default: the day before the last change); "
            "not with --draft."
        ),
    ] = None,
    draft: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="Compare the rules in force on --at with a draft (no --since).",
        ),
    ] = None,
    department: Annotated[
        list[str] | None, typer.Option(help="Only these départements' overrides.")
    ] = None,
) -> None:
    """What changes in the rules on a date (or in a draft): rules, parameters, capacities."""
    from parcours.orientation.diff import default_since, diff_rules
    from parcours.orientation.library import default_library

    when = parse_day(at, "--at")
    before = parse_day(since, "--since") if since else None
    if before is not None and draft is not None:
        # The draft's baseline is --at: a --since would be a second one, silently ignored.
        raise typer.BadParameter(
            f"{since} : incompatible avec --draft (le brouillon est comparé aux règles en "
            f"vigueur le --at {at})",
            param_hint="--since",
        )
    if before is not None and before > when:
        raise typer.BadParameter(f"{since} est postérieure à --at {at}", param_hint="--since")
    library = default_library()
    if draft is not None:
        before, after, chart = when, when, library.load_draft(draft)
    else:
        before = before or default_since(library, when)
        after, chart = when, None
    changes = diff_rules(
        library, before=before, after=after, departments=tuple(department or ()), draft=chart
    )
    title = f"{before.isoformat()} -> {chart.version if chart else after.isoformat()}"
    if library.chart_in_force(before) is None:
        first = library.charts[0].effective_from.isoformat()
        console.print(
            f"Aucune règle en vigueur le {before.isoformat()} (première version le {first}) : "
            "tout est nouveau.",
            soft_wrap=True,
        )
    if not changes:
        console.print(f"{title}: aucun changement")
        return
    table = Table(title=title)
    for column in ("kind", "name", "before", "after"):
        table.add_column(column, overflow="fold")
    for change in changes:
        table.add_row(*(escape(v) for v in (change.kind, change.name, change.before, change.after)))
    console.print(table)


# --- parcours orientation -----------------------------------------------------------------------


@orientation_app.command("synth")
@_reports_errors
def orientation_synth(
    start: DateOpt,
    end: DateOpt,
    per_day: Annotated[int, typer.Option(min=1, help="Interviews per working day.")] = 400,
    seed: Annotated[int, typer.Option()] = 2025,
) -> None:
    """Generate realistic interviews, proposals and decisions (from the registry, or standalone)."""
    from parcours.orientation.synth import synthesize_interviews

    first, last = _period(start, end)
    with (
        console.status("Génération des entretiens..."),
        migrated_session() as session,
    ):
        summary = synthesize_interviews(session, start=first, end=last, per_day=per_day, seed=seed)
    total = max(summary.decisions, 1)
    spread = ", ".join(f"{k} {v / total:.1%}" for k, v in sorted(summary.by_organisation.items()))
    console.print(
        f"{summary.interviews} entretiens ({summary.drafts} brouillons), {summary.decisions} décisions "
        f"dont {summary.changed} modifiées, {summary.claims_requested} demandes d'allocation, "
        f"{summary.eda} EDA. Répartition : {spread}"
    )


def _by(text: str) -> list[Any]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    for p in parts:
        if p not in ("department", "agency", "week"):
            raise typer.BadParameter("group by department, agency and/or week")
    return parts


@orientation_app.command("report")
@_reports_errors
def orientation_report(
    start: DateOpt,
    end: DateOpt,
    by: Annotated[
        str, typer.Option(help="department, agency, week (comma-separated).")
    ] = "department",
    dimension: Annotated[str, typer.Option(help="organisation or modality.")] = "organisation",
) -> None:
    """Orientations by organisation (or modality) per group, with shares."""
    from parcours.orientation.reports import orientation_table

    if dimension not in ("organisation", "modality"):
        raise typer.BadParameter("organisation or modality")
    first, last = _period(start, end)
    groups = _by(by)
    with migrated_session() as session:
        result = orientation_table(
            session,
            start=first,
            end=last,
            by=groups,
            dimension=dimension,  # type: ignore[arg-type]
        )
    used = [c for c in result.columns if any(c in row for row in result.rows.values())]
    table = Table(title=f"Orientations par {dimension}, {start} → {end}")
    for name in result.by:
        table.add_column(name)
    table.add_column("total", justify="right")
    for column in used:
        table.add_column(column, justify="right")
    for key, counts in result.rows.items():
        total = result.total(key)
        table.add_row(
            *key,
            str(total),
            *(f"{counts.get(c, 0)} ({counts.get(c, 0) / total:.0%})" for c in used),
        )
    console.print(table)


@orientation_app.command("activity")
@_reports_errors
def orientation_activity(
    start: DateOpt,
    end: DateOpt,
    by: Annotated[
        str, typer.Option(help="department, agency, week (comma-separated).")
    ] = "department",
) -> None:
    """EDO and EDA counts, durations against the targets, share of changed proposals."""
    from parcours.orientation.reports import activity

    groups = _by(by)
    first, last = _period(start, end)
    with migrated_session() as session:
        rows = activity(session, start=first, end=last, by=groups)
    table = Table(title=f"Activité, {start} → {end}")
    for name in [
        *groups,
        "EDO",
        "brouillons",
        "DPA orient.",
        "EDA",
        "médiane min",
        "p90 min",
        "> cible",
        "modifiées",
        "réorient.",
    ]:
        table.add_column(name, justify="right")
    for r in rows:
        table.add_row(
            *r.key,
            str(r.edo_completed),
            str(r.edo_drafts),
            str(r.dpa_orientation),
            str(r.eda_done),
            str(r.median_minutes or "-"),
            str(r.p90_minutes or "-"),
            str(r.over_target),
            f"{r.changed} ({r.changed_share:.0%})",
            str(r.reorientations),
        )
    console.print(table)


@orientation_app.command("capacities")
@_reports_errors
def orientation_capacities(at: DateOpt) -> None:
    """Partner capacities (APEC, each Conseil départemental) with warnings."""
    from parcours.orientation.reports import capacity_status

    day = parse_day(at, "--at")
    with migrated_session() as session:
        statuses = capacity_status(session, at=day)
    colour = {"ok": "green", "warning": "yellow", "exceeded": "red"}
    for s in statuses:
        console.print(f"[{colour[s.level]}]{s.level:>8}[/] {s.capacity_id}: {s.message}")


@orientation_app.command("deviation")
@_reports_errors
def orientation_deviation(
    start: DateOpt,
    end: DateOpt,
    out: Annotated[
        Path,
        typer.Option(
            file_okay=False,
            help="Folder for deviation_matrix.csv, deviation_reasons.csv, deviation.json.",
        ),
    ],
) -> None:
    """Export the national proposal-versus-decision report (schema in docs/orientation.md)."""
    from parcours.orientation.deviation import (
        MATRIX_COLUMNS,
        REASON_COLUMNS,
        deviation_report,
        to_csv,
    )

    first, last = _period(start, end)
    try:  # before the report is computed: a folder that cannot be written is known at once
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise typer.BadParameter(
            f"dossier impossible à créer : {exc}", param_hint="--out"
        ) from None
    with migrated_session() as session:
        report = deviation_report(session, start=first, end=last)
    files = {
        "deviation_matrix.csv": to_csv(report.matrix_rows(), MATRIX_COLUMNS),
        "deviation_reasons.csv": to_csv(report.reason_rows(), REASON_COLUMNS),
        "deviation.json": json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n",
    }
    for name, text in files.items():
        try:
            (out / name).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise typer.BadParameter(f"écriture impossible : {exc}", param_hint="--out") from None
    console.print(
        f"{report.decisions} décisions, {report.changed} modifiées ({report.changed_share:.1%}); "
        f"fichiers écrits dans {out}"
    )
    for reason in report.top_reasons():
        console.print(f"  {reason.label} : {reason.changes} ({reason.share:.0%})")


@orientation_app.command("whatif")
@_reports_errors
def orientation_whatif(
    draft: Annotated[
        Path,
        typer.Option(
            exists=True, dir_okay=False, help="Draft chart (YAML), e.g. rules/drafts/*.yaml."
        ),
    ],
    start: Annotated[str | None, typer.Option(help="Default: first day of last month.")] = None,
    end: Annotated[str | None, typer.Option(help="Default: last day of last month.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Re-run last month's interviews under a draft rule set: how would orientations move?"""
    from parcours.orientation.library import default_library
    from parcours.orientation.whatif import previous_month, whatif_interviews

    first, last = previous_month(date.today())
    lo, hi = _period(start or first.isoformat(), end or last.isoformat())
    library = default_library()
    chart = library.load_draft(draft)
    with migrated_session() as session:
        result = whatif_interviews(session, start=lo, end=hi, draft=chart, library=library)
    if as_json:
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    console.print(
        f"{result.interviews} entretiens du {lo} au {hi} : propositions enregistrées -> {result.draft_version}"
    )
    for stage in result.stages.values():
        share = stage.moved / result.interviews if result.interviews else 0.0
        console.print(f"[bold]{stage.stage}[/bold] : {stage.moved} changent ({share:.1%})")
        for (a, b), n in sorted(stage.moves.items(), key=lambda item: -item[1])[:8]:
            console.print(f"   {a} -> {b} : {n}")
