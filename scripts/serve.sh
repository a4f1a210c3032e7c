#!/usr/bin/env bash
# Runs the local server (API, /v1 proxy, admin UI) on an embedded SQLite file.
# Extra arguments go to `python -m keypool serve` (e.g. --port 9000 --db pool.sqlite3).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh server
exec .venv/bin/python -m keypool serve "$@"
