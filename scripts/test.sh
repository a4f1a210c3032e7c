#!/usr/bin/env bash
# Runs the whole test suite: unit, local server integration, Worker harness
# (Pyodide + Miniflare's D1/KV), wrangler checks. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh dev
# The real `wrangler dev --local` needs the Python runtime bundle; use the
# offline cache when it sits beside the checkout.
if [ -z "${KEYPOOL_WORKERD_OFFLINE:-}" ] && [ -d ../shared/workerd-offline ]; then
  export KEYPOOL_WORKERD_OFFLINE="$(cd ../shared/workerd-offline && pwd)"
fi
exec .venv/bin/python -m pytest "$@"
