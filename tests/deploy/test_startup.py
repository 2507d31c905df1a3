"""The production processes refuse the development secret at start-up, through the real CLI, and say
why in one JSON log line (not a traceback that systemd would restart in a loop)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from parcours.config import DEV_SECRET_KEY

SRC = Path(__file__).resolve().parents[2] / "src"


def _run(args: list[str], home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v for k, v in os.environ.items() if not k.startswith("PARCOURS_") and k != "DATABASE_URL"
    }
    full = {**base, "PYTHONPATH": str(SRC), "PARCOURS_HOME": str(home), "NO_COLOR": "1", **env}
    return subprocess.run(
        [sys.executable, "-m", "parcours", *args],
        env=full,
        cwd=home.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _json_lines(stderr: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


@pytest.mark.parametrize("command", [["serve", "--no-watch"], ["watch", "--once"]])
@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        (None, "development default"),
        (DEV_SECRET_KEY, "development default"),
        ("short", "32 characters"),
    ],
)
def test_production_refuses_development_or_weak_secret(
    command: list[str], secret: str | None, reason: str, parcours_home: Path
) -> None:
    env = {"PARCOURS_MODE": "production"} | ({"PARCOURS_SECRET_KEY": secret} if secret else {})
    result = _run(command, parcours_home, **env)
    assert result.returncode == 2, result.stderr
    lines = _json_lines(result.stderr)
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    (line,) = lines
    assert line["level"] == "error" and line["event"] == "startup_refused"
    assert line["component"] == command[0]
    assert any(reason in r for r in line["reasons"])  # type: ignore[attr-defined]
    # Refused before touching anything: no database or folder was created.
    assert not (parcours_home / "parcours.db").exists()


def test_production_with_a_real_secret_starts_and_logs_json(parcours_home: Path) -> None:
    secret = secrets.token_urlsafe(48)
    result = _run(
        ["watch", "--once"], parcours_home, PARCOURS_MODE="production", PARCOURS_SECRET_KEY=secret
    )
    assert result.returncode == 0, result.stderr
    lines = _json_lines(result.stderr)
    assert lines and all({"ts", "level", "logger", "msg"} <= line.keys() for line in lines)
    start = next(line for line in lines if line.get("event") == "startup")
    assert start["mode"] == "production" and start["component"] == "watch"
    assert secret not in result.stderr and secret not in result.stdout


def test_development_refusal_is_plain_text(parcours_home: Path) -> None:
    # A mistake in development (a retention outside the legal range) still stops with exit 2, readable.
    result = _run(["watch", "--once"], parcours_home, PARCOURS_LOG_RETENTION_DAYS="5000")
    assert result.returncode == 2
    assert "log_retention_days" in result.stderr and not _json_lines(result.stderr)


@pytest.mark.postgres
def test_start_up_line_masks_the_database_password(pg_url: str, parcours_home: Path) -> None:
    # The machine's PostgreSQL trusts loopback, so any password connects: enough to see it masked.
    url = pg_url.replace("postgres@", "postgres:Sup3r-s3cret-pw@")
    result = _run(
        ["watch", "--once"], parcours_home, PARCOURS_MODE="production",
        PARCOURS_SECRET_KEY=secrets.token_urlsafe(48), DATABASE_URL=url,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    start = next(line for line in _json_lines(result.stderr) if line.get("event") == "startup")
    assert start["database"] == url.replace("Sup3r-s3cret-pw", "***")
    assert "Sup3r-s3cret-pw" not in result.stderr + result.stdout
