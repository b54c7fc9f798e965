#!/usr/bin/env bash
# Debian packages Tollgate needs beside its virtualenv: pango (+ HarfBuzz's subsetter, a font) for the PDF
# reports WeasyPrint prints. With `--test`, also what the tests use: redis-server and PostgreSQL for the
# ledger/database passes, poppler-utils to read the PDFs back, Node's npm for n8n-nodes/, Chromium for the dashboard's browser tests. Installed only when missing, and only where
# apt-get can run (root); elsewhere it says what to install and goes on.
set -euo pipefail
need=()
ldconfig -p | grep -q libpangoft2 || need+=(libpango-1.0-0 libpangoft2-1.0-0)
ldconfig -p | grep -q libharfbuzz-subset || need+=(libharfbuzz-subset0)
fc-list 2>/dev/null | grep -qi dejavu || need+=(fonts-dejavu-core)
if [[ "${1:-}" == "--test" ]]; then
  command -v redis-server >/dev/null || need+=(redis-server)
  { command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || need+=(postgresql)
  command -v pdftotext >/dev/null || need+=(poppler-utils)
  command -v npm >/dev/null || need+=(nodejs npm)
  command -v chromium >/dev/null || need+=(chromium)
fi
[[ ${#need[@]} -eq 0 ]] && exit 0
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  echo "Installing Debian packages: ${need[*]} (about a minute)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q && apt-get install -y -q "${need[@]}"
else
  echo "warning: missing Debian packages: ${need[*]} (install them with apt-get; PDF reports need pango)" >&2
fi
