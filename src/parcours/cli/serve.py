"""`parcours serve`: the web application behind the reverse proxy, optionally with the in-flow detection."""

from __future__ import annotations

from typing import Annotated

import typer

# uvicorn's supervisor replaces a worker that does not answer its ping in time (5 s by default):
# a worker starved of CPU by a PDF or a campaign on a 2-core host was killed mid-request in the
# load test. Thirty seconds still catches a hung worker.
HEALTHCHECK_TIMEOUT_S = 30


def serve(
    host: Annotated[str, typer.Option(help="Adresse d'écoute.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Processus uvicorn.")] = 1,
    watch: Annotated[
        bool,
        typer.Option(help="Détection en flux dans ce processus (sinon `parcours watch` à part)."),
    ] = True,
    healthcheck_timeout: Annotated[
        int,
        typer.Option(
            help="Secondes accordées à un processus pour répondre au superviseur avant d'être "
            "remplacé (plusieurs processus).",
            min=1,
        ),
    ] = HEALTHCHECK_TIMEOUT_S,
) -> None:
    """Serve the web application (migrates the database first)."""
    import uvicorn

    from parcours.db import get_engine
    from parcours.logs import uvicorn_log_config
    from parcours.migrate import upgrade
    from parcours.startup import checked_settings

    settings = checked_settings(process="serve")
    upgrade(get_engine())
    if watch:
        from parcours.controls.flow import start_background_watcher

        start_background_watcher(settings)
    uvicorn.run(
        "parcours.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # Behind the reverse proxy on loopback (deploy/nginx.conf): trust its X-Forwarded-* headers,
        # and only from 127.0.0.1, so the logs carry the real client address and nobody can forge it.
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        server_header=False,
        timeout_worker_healthcheck=healthcheck_timeout,
        log_config=uvicorn_log_config(json_lines=settings.mode == "production"),
    )


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
