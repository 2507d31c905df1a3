"""`parcours scheduling ...`: free slots, DPA capacity, and checks of the data files."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer

from parcours.db import get_engine, session_scope
from parcours.errors import InvalidInput
from parcours.scheduling.activities import ACTIVITY_FILE, parse_activity_types
from parcours.scheduling.booking import find_slots
from parcours.scheduling.calendars import agency_context
from parcours.scheduling.capacity import (
    CAPACITY_FILE,
    capacity_by_week,
    capacity_warnings,
    notify_managers,
    parse_capacity_model,
)

scheduling_app = typer.Typer(help="Agenda des rendez-vous : créneaux, capacité DPA.")


@scheduling_app.command("slots")
def slots(
    agency: str = typer.Option(..., help="Agency id."),
    start: str = typer.Option(..., "--from", help="First local day, YYYY-MM-DD."),
    days: int = typer.Option(7, help="Number of days."),
    activity: str = typer.Option("DPA", help="Activity type (EDO, DPA, EDA...)."),
    limit: int = typer.Option(50, help="Slots to print."),
) -> None:
    """List the agency's free slots, earliest first, in the agency's time."""
    first = date.fromisoformat(start)
    with session_scope(get_engine()) as s:
        zone = agency_context(s, agency).zone
        found = find_slots(
            s, agency_id=agency, activity=activity, first_day=first,
            last_day=first + timedelta(days=days - 1), limit=limit,
        )  # fmt: skip
    for slot in found:
        local = slot.start.astimezone(zone)
        typer.echo(
            f"{local:%Y-%m-%d %H:%M}\t{slot.agent_id}\t{(slot.end - slot.start).seconds // 60} min"
        )
    typer.echo(f"{len(found)} créneau(x) ({zone.key})")


@scheduling_app.command("capacity")
def capacity(
    agency: str = typer.Option(..., help="Agency id."),
    start: str = typer.Option(..., "--from", help="First week (any day of it), YYYY-MM-DD."),
    weeks: int = typer.Option(6, help="Number of weeks."),
    interviews: Annotated[
        Path | None,
        typer.Option(help="CSV week,interviews (interviews per week); default: EDO bookings."),
    ] = None,
    notify: Annotated[
        list[str] | None,
        typer.Option(help="Manager email to warn through the outbox (repeatable)."),
    ] = None,
) -> None:
    """DPA demand against slots opened per week, and the warnings managers would get."""
    flow = None
    if interviews is not None:
        with interviews.open(newline="", encoding="utf-8") as fh:
            flow = {
                date.fromisoformat(r["week"]): float(r["interviews"]) for r in csv.DictReader(fh)
            }
    first = date.fromisoformat(start)
    with session_scope(get_engine()) as s:
        rows = capacity_by_week(
            s, agency_id=agency, first_week=first, weeks=weeks, interviews_by_week=flow
        )
        warnings = capacity_warnings(rows, today=first)
        sent = notify_managers(s, warnings=warnings, to=notify or [])
    typer.echo("semaine\tentretiens\tdemande_dpa\treserves\tlibres\tecart")
    for r in rows:
        mark = "*" if r.interviews_forecast else ""
        typer.echo(
            f"{r.week}\t{r.interviews:g}{mark}\t{r.demand:g}\t{r.booked}\t{r.free}\t{r.gap:g}"
        )
    for w in warnings:
        typer.echo(f"ALERTE {w.message}")
    if sent:
        typer.echo(f"{sent} courriel(s) mis en file d'envoi (parcours outbox dispatch)")


@scheduling_app.command("validate")
def validate() -> None:
    """Check the scheduling data files; every problem is printed with its file and line."""
    failed = False
    for parse, path in (
        (parse_activity_types, ACTIVITY_FILE),
        (parse_capacity_model, CAPACITY_FILE),
    ):
        try:
            parse(path)
            typer.echo(f"ok\t{path.name}")
        except InvalidInput as exc:
            failed = True
            for issue in exc.issues:
                typer.echo(str(issue), err=True)
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(scheduling_app, name="scheduling")
