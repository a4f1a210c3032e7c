"""Moving in from the projects this one replaces, through POST /api/keys (the
import box): `wrangler d1 export` dumps of their D1 databases, made here with
the real wrangler from their schemas, their JSON answers and their text
exports, balances and added dates carried over.

tests/worker/test_worker_backup_legacy_import.py runs these on the Worker.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from fixtures.legacy import wrangler_export

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "legacy"


def at(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp())


def imported(api, text: str) -> dict:
    response = api.post("/api/keys", json={"keys": text})
    assert response.status_code == 200, response.text
    return response.json()


def pool_keys(api) -> dict[str, dict]:
    """Every key of the pool by its (unmasked) text, with the listing's fields."""
    listing = api.get("/api/keys", params={"page_size": 1000, "sort": "added", "order": "asc"}).json()["items"]
    plain = api.get("/api/keys/export").text.split("\n")
    by_id = {item["id"]: item for item in listing}
    ids = sorted(by_id)
    return {key: by_id[id_] for key, id_ in zip(plain, ids)}


def assert_api_management_pool(api, result: dict) -> None:
    assert (result["added"], result["duplicates"], result["invalid"]) == (4, 0, 1)
    keys = pool_keys(api)
    assert [(k[:13], v["balance"], v["added_at"], v["status"]) for k, v in keys.items()] == [
        ("sk-apimgmtaaa", 14, at("2025-03-21T10:00:00"), "unchecked"),
        ("sk-apimgmtbbb", 13.9952, at("2025-03-22T11:30:05"), "unchecked"),
        ("sk-apimgmtccc", 0, at("2025-03-23T00:00:00"), "unchecked"),
        ("sk-apimgmtddd", -0.0213, at("2025-04-01T12:00:00"), "unchecked"),
    ]
    text = json.dumps(api.get("/api/audit").json())
    assert "legacy-admin-password" not in text and "legacy-proxy-key" not in text


def test_a_wrangler_d1_export_of_siliconflow_api_management_imports_with_balances_and_dates(api):
    dump = (FIXTURES / "siliconflow-api-management.d1-export.sql").read_text()
    assert_api_management_pool(api, imported(api, dump))
    again = imported(api, dump)  # the same dump twice: nothing doubled
    assert (again["added"], again["duplicates"]) == (0, 4)


@pytest.mark.skipif(not wrangler_export.available(), reason="wrangler is not installed: run `npm ci`")
def test_a_dump_made_now_by_wrangler_d1_export_imports_the_same(api, tmp_path):
    dump = wrangler_export.d1_export(FIXTURES / "siliconflow-api-management.source.sql", tmp_path)
    assert dump.startswith("PRAGMA defer_foreign_keys=TRUE;") and 'INSERT INTO "keys" VALUES(' in dump
    assert_api_management_pool(api, imported(api, dump))


def test_a_siliconflow_worker_dump_keeps_inactive_keys_out_of_service(api, fake, local_server):
    result = imported(api, (FIXTURES / "siliconflow-worker.d1-export.sql").read_text())
    assert (result["added"], result["invalid"]) == (3, 0)
    keys = pool_keys(api)
    assert [(k[:14], v["balance"], v["added_at"], v["status"]) for k, v in keys.items()] == [
        ("sk-sfworkeraaa", 14, 1742551200, "unchecked"),
        ("sk-sfworkerbbb", 0, 1742637600, "invalid"),  # is_active = 0 there: not used until a check says so
        ("sk-sfworkerccc", 7.5, 1742724000, "unchecked"),
    ]
    assert "imported from" in keys[next(k for k in keys if k.startswith("sk-sfworkerbbb"))]["last_error"]
    assert "sess-8c1f0e2a" not in json.dumps(api.get("/api/audit").json())


def test_text_exports_with_balances_in_any_of_their_delimiters(api):
    a, b, c = ("sk-" + ch * 48 for ch in "xyz")
    result = imported(api, f"{a}|14,{b}|13.5,{c}|0")  # Siliconflow-API-Management, "with balance", commas
    assert (result["added"], result["invalid"]) == (3, 0)
    assert [v["balance"] for v in pool_keys(api).values()] == [14, 13.5, 0]
    api.post("/api/keys/delete", json={"all": True})
    result = imported(api, f"{a}----1.25\\t{b}----unknown\\t{c}-----0.02")  # ours, and a written-out \t
    assert (result["added"], result["invalid"]) == (3, 0)
    assert [v["balance"] for v in pool_keys(api).values()] == [1.25, None, -0.02]


def test_json_answers_of_the_older_projects(api):
    a, b = "sk-" + "j" * 48, "sk-" + "k" * 48
    rows = {"keys": [{"id": "1", "key": a, "balance": 3.5, "is_active": 1, "add_time": 1742551200000},
                     {"id": "2", "key": b, "balance": 0, "is_active": 0, "add_time": 1742551300000}]}
    result = imported(api, json.dumps(rows))  # Siliconflow-Worker GET /export_keys
    assert result["added"] == 2
    assert [(v["balance"], v["added_at"], v["status"]) for v in pool_keys(api).values()] == [
        (3.5, 1742551200, "unchecked"), (0, 1742551300, "invalid")]


def test_the_command_line_import_carries_the_same(tmp_path):
    import sqlite3
    import subprocess
    import sys

    from support import ROOT

    db = tmp_path / "pool.sqlite3"
    result = subprocess.run([sys.executable, "-m", "keypool", "import",
                             str(FIXTURES / "siliconflow-worker.d1-export.sql"), "--db", str(db)],
                            cwd=ROOT, capture_output=True, text=True, env={"PYTHONPATH": str(ROOT / "src")}, timeout=60)
    assert result.returncode == 0 and "added 3" in result.stdout, result.stderr
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT substr(key, 1, 14), balance, added_at, status FROM keys ORDER BY id").fetchall()
    assert rows == [("sk-sfworkeraaa", 14.0, 1742551200, "unchecked"), ("sk-sfworkerbbb", 0.0, 1742637600, "invalid"),
                    ("sk-sfworkerccc", 7.5, 1742724000, "unchecked")]
