"""Backup and restore in the real runtime (`wrangler dev --local`: workerd and
its D1), where the backup is a Python async iterator turned into a pull-based
ReadableStream by the Worker shell. Skipped, as the smoke suite is, where
workerd cannot start."""

from __future__ import annotations

import json

from integration.backup_support import download, restore, unchanged
from support import make_key
from worker.test_workerd_smoke import api, workerd  # noqa: F401  (wrangler dev, started for this module)


def test_a_backup_streams_from_workerd_and_restores_there(api, workerd):
    keys = [make_key(f"wd{i}") for i in range(12_000)]  # more than two pages of the backup
    assert api.post("/api/keys", json={"keys": keys}).json()["added"] == len(keys)
    assert api.put("/api/settings", json={"strategy": "drain"}).status_code == 200
    created = api.post("/api/client-keys", json={"name": "workerd", "models": ["deepseek-ai/DeepSeek-V3"]})
    assert created.status_code == 201
    response = api.get("/api/backup")
    assert response.status_code == 200 and "content-length" not in response.headers
    document = json.loads(response.content)
    assert document["end"]["keys"] == len(keys) and document["settings"]["strategy"] == "drain"
    assert {row[0] for row in document["keys"]["rows"]} == set(keys)

    assert api.post("/api/keys/delete", json={"all": True}).json()["changed"] == len(keys)
    result = restore(api, response.content, "replace")
    assert result["keys"]["added"] == len(keys)
    again = restore(api, download(api))
    assert all(unchanged(again, kind) for kind in ("keys", "client_keys", "settings"))
    cut = api.post("/api/restore", content=response.content[: len(response.content) // 2])
    assert cut.status_code == 400 and cut.json()["error"]["code"] == "invalid_backup"
    assert api.get("/api/keys").json()["total"] == len(keys)
