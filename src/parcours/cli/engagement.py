"""`parcours contract ...`: contract PDF, deadline and financing warnings, data file checks."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from parcours.cli._shared import check_files, fail, migrated_session, parse_day
from parcours.engagement.pdf import print_contract
from parcours.engagement.reference_data import (
    CATALOGUE_FILE,
    PARAMETERS_FILE,
    parse_catalogue,
    parse_parameters,
)
from parcours.engagement.service import contracts_needing_attention
from parcours.errors import ParcoursError

contract_app = typer.Typer(help="Contrat d'engagement : PDF, échéances, financements.")


@contract_app.command("pdf")
def pdf(
    contract_id: str,
    holder: str = typer.Option(..., help="Holder's name as shown in the file view."),
    agent: str = typer.Option(..., help="Agent who prints (logged as a consultation)."),
    output: Annotated[Path, typer.Option("-o", help="Output file.")] = Path("contrat.pdf"),
) -> None:
    """Write the contract PDF; the print is logged in the consultation log."""
    try:
        # Written inside the unit of work: a file that cannot be written logs no print.
        with migrated_session() as s:
            data = print_contract(s, contract_id=contract_id, holder_name=holder, agent_id=agent)
            output.write_bytes(data)
    except ParcoursError as exc:
        fail(exc)
    except OSError as exc:
        fail(f"{output} : écriture impossible ({exc.strerror or exc})")
    typer.echo(f"{output} ({len(data)} octets)")


@contract_app.command("warnings")
def warnings(
    agency: str = typer.Option(..., help="Agency id."),
    on: str = typer.Option("", help="Day of reference, YYYY-MM-DD (default: today)."),
) -> None:
    """Contracts of the agency with a signature deadline or a financing period ending soon."""
    today = parse_day(on, "--on") if on else date.today()
    try:
        with migrated_session() as s:
            found = contracts_needing_attention(s, agency_id=agency, today=today)
            lines = [
                f"{contract.contract_id}\t{contract.de_id}\t{w.code}\t{w.due}\t{w.message}"
                for contract, items in found
                for w in items
            ]
    except ParcoursError as exc:
        fail(exc)
    for line in lines:
        typer.echo(line)
    typer.echo(f"{len(found)} contrat(s) à traiter")


@contract_app.command("validate")
def validate() -> None:
    """Check the activity catalogue and the dated parameters (file and line for each problem)."""
    check_files(((parse_catalogue, CATALOGUE_FILE), (parse_parameters, PARAMETERS_FILE)))


def register(app: typer.Typer) -> None:
    app.add_typer(contract_app, name="contract")
