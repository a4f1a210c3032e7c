#!/usr/bin/env bash
# Installs what the project needs into .venv and node_modules; does nothing
# when they are already up to date, so it is safe to run any number of times.
#   scripts/bootstrap.sh          Python deps for the local server
#   scripts/bootstrap.sh dev      plus test deps and the Node tooling (wrangler, miniflare, pyodide)
set -euo pipefail
cd "$(dirname "$0")/.."

want=${1:-server}
python=${PYTHON:-python3}

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "Python >= 3.11 is required (found: $("$python" --version 2>&1))" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv || {
    echo "could not create .venv; on Debian/Ubuntu: apt-get install -y python3-venv" >&2; exit 1; }
fi

# Re-install only when pyproject.toml changed (or the wanted extra grew).
stamp=".venv/.keypool-$want-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -e "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[$want]"
  touch "$stamp"
fi

if [ "$want" = dev ]; then
  if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
    echo "Node.js >= 20 is required for the Worker tests" >&2
    exit 1
  fi
  node_stamp="node_modules/.keypool-$(sha256sum package-lock.json | cut -c1-16)"
  if [ ! -e "$node_stamp" ]; then
    npm ci --no-audit --no-fund --loglevel=error
    touch "$node_stamp"
  fi
fi
