"""wrangler, offline: the Worker bundles (`deploy --dry-run`) and the D1
migrations apply to a local database.

A proxy on a closed loopback port is set for every wrangler call, so a
command that tried to reach the internet would fail here instead of
quietly depending on it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = ROOT / "migrations"
OFFLINE_ENV = {
    "WRANGLER_SEND_METRICS": "false",
    "WRANGLER_HIDE_BANNER": "true",
    "CLOUDFLARE_CF_FETCH_ENABLED": "false",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9",
    "NO_PROXY": "",
    "no_proxy": "",
    "CI": "1",
}

pytestmark = pytest.mark.skipif(
    shutil.which("npx") is None or not (ROOT / "node_modules" / "wrangler" / "package.json").exists(),
    reason="wrangler is not installed: run `npm ci` (needs Node >= 20)",
)


def wrangler(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    result = subprocess.run(
        ["npx", "--no-install", "wrangler", *args], cwd=ROOT, capture_output=True, text=True,
        timeout=timeout, stdin=subprocess.DEVNULL, env={**os.environ, **OFFLINE_ENV},
    )
    assert result.returncode == 0, f"wrangler {' '.join(args)} failed ({result.returncode}):\n" \
                                   f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


def d1_query(persist: Path, sql: str) -> list[dict]:
    out = wrangler("d1", "execute", "DB", "--local", "--persist-to", str(persist), "--command", sql, "--json").stdout
    return json.loads(out)[0]["results"]


def test_deploy_dry_run_bundles_the_worker_offline(tmp_path):
    out = tmp_path / "bundle"
    result = wrangler("deploy", "--dry-run", "--outdir", str(out))
    text = result.stdout + result.stderr
    assert "--dry-run: exiting now." in text
    for binding in ("env.DB", "env.STATIC_CONTENT", "env.UPSTREAM_BASE_URL"):
        assert binding in text
    assert (out / "entry.py").is_file()
    for module in ("app.py", "adapters/d1.py", "adapters/js_fetch.py", "adapters/kv_assets.py"):
        assert (out / "keypool" / module).is_file(), module


def test_migration_files_sort_after_schema_sql():
    """wrangler applies migrations/*.sql in plain name order, once each: schema.sql
    must come first, so additions are named schema_NNNN_<what>.sql (a "0002_x.sql"
    would run before the tables exist)."""
    names = sorted(p.name for p in MIGRATIONS.glob("*.sql"))
    assert names[0] == "schema.sql"
    assert all(name.startswith("schema_") for name in names[1:]), names


def test_d1_migrations_apply_to_a_local_database(tmp_path):
    persist = tmp_path / "state"
    result = wrangler("d1", "migrations", "apply", "DB", "--local", "--persist-to", str(persist))
    assert "schema.sql" in result.stdout
    assert d1_query(persist, "SELECT count(*) AS n FROM keys") == [{"n": 0}]
    applied = [row["name"] for row in d1_query(persist, "SELECT name FROM d1_migrations ORDER BY id")]
    assert applied == sorted(p.name for p in MIGRATIONS.glob("*.sql"))
    tables = {row["name"] for row in d1_query(persist, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"config", "keys", "client_keys", "request_logs", "jobs"} <= tables
    again = wrangler("d1", "migrations", "apply", "DB", "--local", "--persist-to", str(persist))
    assert "No migrations to apply" in again.stdout + again.stderr


def test_d1_execute_schema_file_is_idempotent(tmp_path):
    persist = tmp_path / "state"
    for _ in range(2):
        wrangler("d1", "execute", "DB", "--local", "--persist-to", str(persist), "--file", "migrations/schema.sql")
    assert d1_query(persist, "SELECT count(*) AS n FROM keys") == [{"n": 0}]
