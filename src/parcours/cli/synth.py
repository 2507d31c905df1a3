"""`parcours synth`: write the synthetic region and its ground truth."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from parcours.errors import InvalidInput


def register(app: typer.Typer) -> None:
    @app.command()
    def synth(
        out: Annotated[Path, typer.Option("--out", help="Dossier de sortie (créé au besoin).")],
        scale: Annotated[
            str, typer.Option("--scale", help="tiny | demo | region | national")
        ] = "demo",
        seed: Annotated[
            int, typer.Option("--seed", help="Graine : même graine, mêmes fichiers.")
        ] = 1,
        start: Annotated[
            str, typer.Option("--start", help="Début de la période (AAAA-MM-JJ).")
        ] = "2024-04-01",
        end: Annotated[
            str, typer.Option("--end", help="Fin de la période, incluse.")
        ] = "2024-06-30",
        consultations_format: Annotated[
            str, typer.Option("--consultations-format", help="auto | csv | parquet")
        ] = "auto",
        cover_revisits: Annotated[
            float,
            typer.Option(
                "--cover-revisits",
                help="Variante de robustesse : part des consultations de remplacement suivies d'un "
                "ou deux retours sur le même dossier (0 par défaut).",
            ),
        ] = 0.0,
        quiet: Annotated[bool, typer.Option("--quiet", help="Sans barre de progression.")] = False,
    ) -> None:
        """Génère une région synthétique (format d'échange) et sa vérité terrain (truth.csv)."""
        from parcours.synth import Period, generate

        try:
            period = Period(date.fromisoformat(start), date.fromisoformat(end))
        except ValueError as exc:
            raise typer.BadParameter(f"date invalide : {exc}") from exc
        try:
            summary = generate(
                scale=scale,
                seed=seed,
                out=out,
                progress=not quiet,
                period=period,
                consultations_format=consultations_format,
                cover_revisits=cover_revisits,
            )
        except InvalidInput as exc:
            typer.echo(f"erreur : {exc}", err=True)
            raise typer.Exit(2) from exc
        typer.echo(
            f"Région synthétique « {scale} » (graine {seed}) écrite dans {out} en {summary.seconds:.1f} s"
        )
        for name, rows in summary.rows.items():
            typer.echo(f"  {name:<18} {rows:>12,}".replace(",", " "))
        truth = ", ".join(f"{k} {v}" for k, v in summary.truth.items())
        typer.echo(f"  vérité terrain : {sum(summary.truth.values())} paires ({truth})")
