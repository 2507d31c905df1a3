"""Pinned front-end assets, vendored under static/vendor/ by scripts/vendor_assets.sh (version in the path)."""

from __future__ import annotations

from pathlib import Path

DSFR_VERSION = "1.15.3"
HTMX_VERSION = "2.0.11"
VEGA_VERSION = "6.4.0"
VEGA_LITE_VERSION = "6.4.3"
VEGA_EMBED_VERSION = "7.3.0"
VEGA_INTERPRETER_VERSION = "2.3.2"

STATIC_DIR = Path(__file__).parent / "static"
STATIC_URL = "/static"

DSFR = f"{STATIC_URL}/vendor/dsfr-{DSFR_VERSION}"
HTMX_JS = f"{STATIC_URL}/vendor/htmx-{HTMX_VERSION}.min.js"
APP_CSS = f"{STATIC_URL}/app/parcours.css"
APP_JS = f"{STATIC_URL}/app/parcours.js"
VEGA_JS = f"{STATIC_URL}/vendor/vega-{VEGA_VERSION}.min.js"
VEGA_LITE_JS = f"{STATIC_URL}/vendor/vega-lite-{VEGA_LITE_VERSION}.min.js"
VEGA_EMBED_JS = f"{STATIC_URL}/vendor/vega-embed-{VEGA_EMBED_VERSION}.min.js"
VEGA_INTERPRETER_JS = f"{STATIC_URL}/vendor/vega-interpreter-{VEGA_INTERPRETER_VERSION}.js"
# Pages with charts include these, in this order (see templates/_charts.html).
CHART_SCRIPTS = (VEGA_JS, VEGA_LITE_JS, VEGA_EMBED_JS, VEGA_INTERPRETER_JS)
