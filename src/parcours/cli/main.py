"""The `parcours` command: one Typer app; each domain adds its own sub-commands from `cli/<domain>.py`."""

from __future__ import annotations

import typer

from parcours import __version__

app = typer.Typer(
    name="parcours",
    help="Parcours: LPE registration, misuse-of-purpose detection and alerts, internal barometer.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def _register() -> None:
    # Each domain's CLI module exposes `register(app)`. Keep this list sorted; one line per domain.
    from importlib import import_module

    for name in _DOMAINS:
        import_module(f"parcours.cli.{name}").register(app)


_DOMAINS: list[str] = ["barometer"]

_register()
