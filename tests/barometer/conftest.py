"""The web fixtures of tests/web/conftest.py (seeded world, app, logged-in clients, live server,
Chromium), loaded under their own module name so the dashboard tests can use them here."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_path = Path(__file__).resolve().parents[1] / "web" / "conftest.py"
_spec = importlib.util.spec_from_file_location("parcours_tests_web_fixtures", _path)
assert _spec is not None and _spec.loader is not None
_web = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_web)

world = _web.world
app = _web.app
client = _web.client
client_as = _web.client_as
server = _web.server
browser_page = _web.browser_page
