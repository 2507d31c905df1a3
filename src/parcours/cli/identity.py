"""`parcours identity ...`: measure and rebuild the identity-resolution model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from parcours.cli._shared import fail
from parcours.errors import InvalidInput

identity_app = typer.Typer(
    help="Résolution d'identité : reconnaître agents, ex-agents et personnes protégées.",
    no_args_is_help=True,
)


@identity_app.command("evaluate")
def evaluate_command(
    pairs: Annotated[
        Path,
        typer.Option(
            "--pairs", exists=True, dir_okay=False, help="Fichier CSV de paires étiquetées."
        ),
    ],
    threshold: Annotated[
        float, typer.Option(help="Seuil de probabilité de correspondance (production : 0,5).")
    ] = 0.5,
) -> None:
    """Mesure le rappel et le taux de fausses correspondances sur des paires étiquetées."""
    from parcours.audit.identity.evaluate import evaluate, load_pairs

    try:
        result = evaluate(load_pairs(pairs), threshold)
    except InvalidInput as exc:
        fail(exc)
    typer.echo(result.report())


@identity_app.command("train")
def train_command(
    population: Annotated[
        Path,
        typer.Option(
            "--population",
            exists=True,
            dir_okay=False,
            help="Paires étiquetées dont les personnes servent de population (étiquettes ignorées).",
        ),
    ],
) -> None:
    """Réestime les valeurs u et réécrit le modèle (identity_model.json)."""
    from parcours.audit.identity.model import TRAINED_MODEL_PATH
    from parcours.audit.identity.train import train

    try:
        train(population)
    except InvalidInput as exc:
        fail(exc)
    typer.echo(f"modèle écrit : {TRAINED_MODEL_PATH}")


def register(app: typer.Typer) -> None:
    app.add_typer(identity_app, name="identity")
