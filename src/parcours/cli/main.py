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
    """Every module of `parcours.cli` but this one exposes `register(app)`: discovered, not listed,
    so that adding a domain's commands touches no shared file."""
    import pkgutil
    from importlib import import_module

    import parcours.cli

    for info in sorted(pkgutil.iter_modules(parcours.cli.__path__), key=lambda i: i.name):
        if info.name != "main" and not info.name.startswith("_"):
            import_module(f"parcours.cli.{info.name}").register(app)


_register()
