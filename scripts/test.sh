#!/usr/bin/env bash
# The whole test suite: fast tests, PostgreSQL, browser (Chromium) and Spark suites.
# Usage: scripts/test.sh [pytest args]   e.g.  scripts/test.sh -m "not browser and not spark"
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

# Debian's Chromium for the browser tests (Playwright drives it through executable_path).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian chromium for the browser tests..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "warning: could not install chromium"
  fi
fi

# PostgreSQL is started by the machine; start it if it is installed but stopped.
if command -v pg_ctlcluster >/dev/null 2>&1 && ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi

$BIN/ruff check src tests benchmarks
$BIN/mypy
exec $BIN/pytest -n 2 --dist loadgroup "$@"
