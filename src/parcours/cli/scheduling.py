"""`parcours scheduling ...`: free slots, DPA capacity, and checks of the data files."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from parcours.cli._shared import check_files, fail, migrated_session, parse_day
from parcours.errors import ParcoursError
from parcours.scheduling.activities import ACTIVITY_FILE, parse_activity_types
from parcours.scheduling.booking import find_slots
from parcours.scheduling.calendars import agency_context
from parcours.scheduling.capacity import (
    CAPACITY_FILE,
    capacity_by_week,
    capacity_warnings,
    notify_managers,
    parse_capacity_model,
    read_interview_forecast,
)

scheduling_app = typer.Typer(help="Agenda des rendez-vous : créneaux, capacité DPA.")


@scheduling_app.command("slots")
def slots(
    agency: str = typer.Option(..., help="Agency id."),
    start: str = typer.Option(..., "--from", help="First local day, YYYY-MM-DD."),
    days: int = typer.Option(7, min=1, max=366, help="Number of days."),
    activity: str = typer.Option("DPA", help="Activity type (EDO, DPA, EDA...)."),
    limit: int = typer.Option(50, min=1, help="Slots to print."),
) -> None:
    """List the agency's free slots, earliest first, in the agency's time."""
    first = parse_day(start, "--from")
    try:
        with migrated_session() as s:
            zone = agency_context(s, agency).zone
            found = find_slots(
                s, agency_id=agency, activity=activity, first_day=first,
                last_day=first + timedelta(days=days - 1), limit=limit,
            )  # fmt: skip
    except ParcoursError as exc:
        fail(exc)
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
    weeks: int = typer.Option(6, min=1, max=104, help="Number of weeks."),
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
    first = parse_day(start, "--from")
    try:
        flow = None if interviews is None else read_interview_forecast(interviews)
        with migrated_session() as s:
            rows = capacity_by_week(
                s, agency_id=agency, first_week=first, weeks=weeks, interviews_by_week=flow
            )
            warnings = capacity_warnings(rows, today=first)
            sent = notify_managers(s, warnings=warnings, to=notify or [])
    except ParcoursError as exc:
        fail(exc)
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
    check_files(((parse_activity_types, ACTIVITY_FILE), (parse_capacity_model, CAPACITY_FILE)))


def register(app: typer.Typer) -> None:
    app.add_typer(scheduling_app, name="scheduling")
