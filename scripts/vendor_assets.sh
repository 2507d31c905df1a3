#!/usr/bin/env bash
# Vendors the front-end assets of the web application from the npm registry, pinned, with the
# version in the path. Usage: scripts/vendor_assets.sh [DSFR_VERSION] [HTMX_VERSION]
# Vega, Vega-Lite and Vega-Embed (charts) follow with VEGA_VERSION, VEGA_LITE_VERSION, VEGA_EMBED_VERSION.
# Upgrading = running this with new versions, then updating the *_VERSION constants in
# src/parcours/web/assets.py and deleting the old folders. Only the files the pages use are copied:
# DSFR's CSS and JS, the Marianne/Spectral fonts, the favicon and every icon dsfr.min.css refers to.
set -euo pipefail

DSFR_VERSION="${1:-1.15.3}"
HTMX_VERSION="${2:-2.0.11}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENDOR="$ROOT/src/parcours/web/static/vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cd "$WORK"
npm pack --silent "@gouvfr/dsfr@$DSFR_VERSION" "htmx.org@$HTMX_VERSION" >/dev/null
mkdir dsfr htmx
tar xzf "gouvfr-dsfr-$DSFR_VERSION.tgz" -C dsfr
tar xzf "htmx.org-$HTMX_VERSION.tgz" -C htmx

DEST="$VENDOR/dsfr-$DSFR_VERSION"
rm -rf "$DEST"
mkdir -p "$DEST/fonts" "$DEST/favicon"
SRC="dsfr/package/dist"
cp "$SRC/dsfr.min.css" "$SRC/dsfr.module.min.js" "$SRC/dsfr.nomodule.min.js" "$DEST/"
cp "$SRC"/fonts/*.woff2 "$SRC"/fonts/*.woff "$DEST/fonts/"
cp "$SRC/favicon/favicon.svg" "$SRC/favicon/favicon.ico" "$DEST/favicon/"
cp dsfr/package/LICENSE.md "$DEST/LICENSE.md"
# Every icon the stylesheet refers to (url(icons/...)), and nothing else.
grep -o 'url(icons/[^)]*)' "$SRC/dsfr.min.css" | sed 's/^url(//; s/)$//' | sort -u | while read -r icon; do
  mkdir -p "$DEST/$(dirname "$icon")"
  cp "$SRC/$icon" "$DEST/$icon"
done

rm -f "$VENDOR"/htmx-*.min.js
cp "htmx/package/dist/htmx.min.js" "$VENDOR/htmx-$HTMX_VERSION.min.js"
cp "htmx/package/LICENSE" "$VENDOR/htmx-$HTMX_VERSION.LICENSE"

VEGA_VERSION="${VEGA_VERSION:-6.4.0}"
VEGA_LITE_VERSION="${VEGA_LITE_VERSION:-6.4.3}"
VEGA_EMBED_VERSION="${VEGA_EMBED_VERSION:-7.3.0}"
npm pack --silent "vega@$VEGA_VERSION" "vega-lite@$VEGA_LITE_VERSION" "vega-embed@$VEGA_EMBED_VERSION" >/dev/null
for pkg in "vega:$VEGA_VERSION" "vega-lite:$VEGA_LITE_VERSION" "vega-embed:$VEGA_EMBED_VERSION"; do
  name="${pkg%%:*}"; version="${pkg##*:}"
  mkdir -p "$name" && tar xzf "$name-$version.tgz" -C "$name"
  rm -f "$VENDOR/$name"-[0-9]*.min.js "$VENDOR/$name"-[0-9]*.LICENSE
  cp "$name/package/build/$name.min.js" "$VENDOR/$name-$version.min.js"
  cp "$name/package/LICENSE" "$VENDOR/$name-$version.LICENSE"
done

# vega-interpreter evaluates Vega expressions without eval(), as the Content-Security-Policy requires.
# It ships as an ES module importing vega-util: adapt it to a plain script reading the vega global.
VEGA_INTERPRETER_VERSION="${VEGA_INTERPRETER_VERSION:-2.3.2}"
npm pack --silent "vega-interpreter@$VEGA_INTERPRETER_VERSION" >/dev/null
mkdir -p vi && tar xzf "vega-interpreter-$VEGA_INTERPRETER_VERSION.tgz" -C vi
rm -f "$VENDOR"/vega-interpreter-*
{
  echo "// vega-interpreter $VEGA_INTERPRETER_VERSION (BSD-3-Clause), adapted for a plain <script> after vega.min.js by scripts/vendor_assets.sh:"
  echo "// the ES import of vega-util is read from the vega global, the export becomes window.vegaExpressionInterpreter."
  echo "(function () {"
  sed -e "s/^import { ascending, isString, DisallowedObjectProperties } from 'vega-util';/const { ascending, isString, DisallowedObjectProperties } = window.vega;/" \
      -e "s/^export { expression as expressionInterpreter };/window.vegaExpressionInterpreter = expression;/" \
      vi/package/build/vega-interpreter.js
  echo "})();"
} > "$VENDOR/vega-interpreter-$VEGA_INTERPRETER_VERSION.js"
cp vi/package/LICENSE "$VENDOR/vega-interpreter-$VEGA_INTERPRETER_VERSION.LICENSE"

echo "vendored dsfr $DSFR_VERSION and htmx $HTMX_VERSION into $VENDOR"
