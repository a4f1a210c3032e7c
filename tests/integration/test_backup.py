"""Backup and restore through the admin API of a running pool: what a backup
holds (and never holds), merge and replace, refusals that leave the pool
unchanged, and caches that see restored rows at once.

tests/worker/test_worker_backup.py runs these same tests on the Worker
(Pyodide + Miniflare's D1); there `pool_db` reaches D1 instead of SQLite.
"""

from __future__ import annotations

import json
import time

import httpx
import openai
import pytest

from integration.backup_support import (CHANGED_SETTINGS, MODEL, LocalPoolDB, checks_done, download, pool_state,
                                        restore, seed, unchanged)
from support import ADMIN_PASSWORD, ADMIN_TOKEN, make_key

NOW = int(time.time())


@pytest.fixture
def pool_db(local_server):
    return LocalPoolDB(local_server.db_path)


@pytest.fixture
def pool(api, pool_db):
    """The admin client on an empty pool with no setting of its own (what other suites set on
    the shared server would otherwise be in the backup); the settings are put back as they
    were afterwards (a replace restore rewrites them)."""
    before = pool_db.rows("SELECT name, value FROM config")
    pool_db.run("DELETE FROM config WHERE name NOT LIKE 'state.%'")
    yield api
    pool_db.run("DELETE FROM config")
    for row in before:
        pool_db.run("INSERT INTO config (name, value) VALUES (?, ?)", [row["name"], row["value"]])


def chat(server, client_key: str) -> str:
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key=client_key, max_retries=0)
    reply = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    return reply.choices[0].message.content


def logged(pool, requests: int) -> None:
    """Wait until the request log holds `requests` entries: their usage counters are written with them
    (after the response), and a later test must not see them change."""
    deadline = time.monotonic() + 20
    while pool.get("/api/logs").json()["total"] < requests:
        assert time.monotonic() < deadline, "request logs were not written"
        time.sleep(0.05)


def refused(pool, document: bytes | str, **params) -> dict:
    response = pool.post("/api/restore", params=params, content=document)
    assert response.status_code == 400, response.text
    assert "unchanged" in response.json()["error"]["message"] or "mode" in response.json()["error"]["message"]
    return response.json()["error"]


# --- what a backup holds --------------------------------------------------------------

def test_backup_is_admin_only_and_downloads_as_one_json_document(pool, pool_db, local_server):
    info = seed(pool, pool_db, 40, "hold", NOW)
    assert httpx.get(f"{local_server.url}/api/backup").status_code == 401
    assert httpx.post(f"{local_server.url}/api/restore", content=b"{}").status_code == 401
    response = pool.get("/api/backup")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-disposition"].startswith('attachment; filename="silicon-key-pool-backup-')
    assert "content-length" not in response.headers  # streamed as it is read
    document = json.loads(response.content)
    assert (document["format"], document["version"]) == ("silicon-key-pool-backup", 1)
    keys = document["keys"]
    rows = {row[0]: dict(zip(keys["columns"], row)) for row in keys["rows"]}
    assert set(rows) == set(info["keys"])  # upstream keys in full: the backup must be kept private
    assert document["end"]["keys"] == 40 and document["end"]["history"] > 0 and document["end"]["blocks"] > 0
    assert {row["status"] for row in rows.values()} == {"valid", "exhausted", "invalid", "unchecked"}
    assert document["settings"] == {**document["settings"], **CHANGED_SETTINGS}
    assert not any(name.startswith("state.") for name in document["settings"])
    text = response.text
    for secret in (ADMIN_TOKEN, ADMIN_PASSWORD, *info["clients"].values()):
        assert secret not in text  # client keys only as their hashes
    hashes = {dict(zip(document["client_keys"]["columns"], row))["key_hash"] for row in document["client_keys"]["rows"]}
    assert {row["key_hash"] for row in pool_db.rows("SELECT key_hash FROM client_keys")} <= hashes


def test_a_backup_restored_into_its_own_pool_changes_nothing(pool, pool_db):
    seed(pool, pool_db, 60, "same", NOW)
    before = pool_state(pool_db)
    document = download(pool)
    for mode in ("merge", "merge"):
        result = restore(pool, document, mode)
        for kind in ("keys", "client_keys", "settings", "blocks", "history", "pool_history"):
            assert unchanged(result, kind), (kind, result)
        assert result["keys"]["unchanged"] == 60
    assert pool_state(pool_db) == before


def test_a_backup_downloads_in_parts_that_restore_to_the_same_pool(pool, pool_db):
    seed(pool, pool_db, 30, "parts", NOW)
    expected = pool_state(pool_db)
    parts, after = [], 0
    while True:  # as a free-plan Worker needs it: a few keys per request
        response = pool.get("/api/backup", params={"after": after, "limit": 12})
        assert response.status_code == 200, response.text
        parts.append(response.content)
        if "x-backup-next-after" not in response.headers:
            break
        after = int(response.headers["x-backup-next-after"])
    documents = [json.loads(part) for part in parts]
    assert [d["end"]["keys"] for d in documents] == [12, 12, 6]
    assert documents[0]["settings"] and not any(d["settings"] or d["client_keys"]["rows"] for d in documents[1:])
    assert pool.get("/api/backup", params={"limit": 0}).status_code == 400
    results = [restore(pool, part, "replace" if i == 0 else "merge") for i, part in enumerate(parts)]
    assert [r["keys"]["added"] for r in results] == [12, 12, 6]
    assert pool_state(pool_db) == expected


def test_downloads_and_restores_are_audited_with_counts_and_no_secret(pool, pool_db):
    info = seed(pool, pool_db, 10, "audit", NOW)
    document = download(pool)
    pool.post("/api/keys/delete", json={"all": True})
    restore(pool, document)
    entries = pool.get("/api/audit", params={"action": "backup"}).json()["items"]
    assert [(e["action"], e["count"]) for e in entries[:2]] == [("backup.restore", 10), ("backup.download", 10)]
    assert entries[0]["detail"]["mode"] == "merge"
    assert entries[0]["detail"]["keys"] == {"added": 10, "updated": 0, "unchanged": 0, "rejected": 0}
    text = json.dumps(entries)
    assert not any(key in text for key in info["keys"]) and not any(k in text for k in info["clients"].values())


# --- merge and replace ----------------------------------------------------------------

def _set(pool_db, key: str, **fields) -> None:
    assignments = ", ".join(f"{name} = ?" for name in fields)
    assert pool_db.run(f"UPDATE keys SET {assignments} WHERE key = ?", [*fields.values(), key]) == 1


def _key(pool_db, key: str) -> dict:
    (row,) = pool_db.rows("SELECT * FROM keys WHERE key = ?", [key])
    return row


def test_merge_updates_a_key_only_where_the_backup_is_newer_and_never_lowers_usage(pool, pool_db):
    keys = [make_key(f"newer{i}") for i in range(8)]
    checks_done(pool, pool.post("/api/keys", json={"keys": keys}))
    t0 = NOW - 1000
    pool_db.run("UPDATE keys SET status = 'valid', balance = 10.5, checked_at = ?, request_count = 5, "
                "last_used_at = ?, added_at = ? WHERE key IN (SELECT value FROM json_each(?))",
                [t0, t0, t0 - 500, json.dumps(keys)])
    for key in keys[:2]:
        pool_db.run("INSERT INTO key_blocks (key_id, model, reason, until) SELECT id, ?, 'forbidden', ? FROM keys "
                    "WHERE key = ?", [MODEL, NOW + 7200.25, key])
    document = download(pool)
    pool_db.run("DELETE FROM key_blocks WHERE key_id IN (SELECT id FROM keys WHERE key IN (?, ?))", keys[:2])
    _set(pool_db, keys[0], status="exhausted", balance=0.0, checked_at=t0 + 100)  # the pool knows better
    _set(pool_db, keys[1], status="invalid", balance=None, checked_at=t0 - 100)   # the backup knows better
    _set(pool_db, keys[2], request_count=50, last_used_at=t0 + 50)                # more usage here: kept
    _set(pool_db, keys[3], request_count=1)                                       # less usage here: raised
    _set(pool_db, keys[4], added_at=t0 + 1000)                                    # the earlier date wins
    pool.post("/api/keys/delete", json={"ids": [pool_db.rows("SELECT id FROM keys WHERE key = ?", [keys[5]])[0]["id"]]})

    result = restore(pool, document)
    assert result["keys"] == {"added": 1, "updated": 3, "unchanged": 4, "rejected": 0}
    # keys[1]'s exclusion comes back with its record; keys[0]'s record here is newer and has none
    assert result["blocks"] == {"added": 1, "updated": 0, "unchanged": 1, "rejected": 0}
    assert (_key(pool_db, keys[0])["status"], _key(pool_db, keys[0])["balance"]) == ("exhausted", 0.0)
    assert (_key(pool_db, keys[1])["status"], _key(pool_db, keys[1])["balance"]) == ("valid", 10.5)
    assert _key(pool_db, keys[1])["checked_at"] == t0
    assert (_key(pool_db, keys[2])["request_count"], _key(pool_db, keys[2])["last_used_at"]) == (50, t0 + 50)
    assert _key(pool_db, keys[3])["request_count"] == 5
    assert _key(pool_db, keys[4])["added_at"] == t0 - 500
    assert _key(pool_db, keys[5])["status"] == "valid"
    blocked = {row["key"] for row in pool_db.rows("SELECT k.key FROM key_blocks b JOIN keys k ON k.id = b.key_id")}
    assert blocked == {keys[1]}
    assert pool.get("/api/keys", params={"page_size": 20}).json()["total"] == 8
    again = restore(pool, document)
    assert again["keys"] == {"added": 0, "updated": 0, "unchanged": 8, "rejected": 0}


def test_merge_keeps_settings_the_pool_has_set_and_says_which(pool, pool_db):
    seed(pool, pool_db, 5, "setmerge", NOW)
    document = json.loads(download(pool))
    document["settings"]["no_such_setting"] = 1
    document["settings"]["max_attempts"] = 99  # out of range
    assert pool.put("/api/settings", json={"strategy": "drain"}).status_code == 200
    pool_db.run("DELETE FROM config WHERE name IN ('check_concurrency', 'refresh_batch')")
    result = restore(pool, json.dumps(document).encode())
    assert result["settings"]["added"] == 2 and result["settings"]["rejected"] == 2
    assert "strategy" in result["settings_kept"]
    assert {r["name"] for r in result["rejected"]} == {"no_such_setting", "max_attempts"}
    assert all(r["reason"] for r in result["rejected"])
    settings = pool.get("/api/settings").json()
    assert (settings["strategy"], settings["check_concurrency"], settings["refresh_batch"]) == ("drain", 20, 50)


def test_replace_makes_the_pool_what_the_backup_holds(pool, pool_db):
    seed(pool, pool_db, 30, "repl", NOW)
    expected = pool_state(pool_db)
    document = download(pool)
    pool.post("/api/keys", json={"keys": [make_key(f"extra{i}") for i in range(3)]})
    pool.post("/api/client-keys", json={"name": "extra"})
    pool.put("/api/settings", json={"check_retries": 4, "strategy": "random"})
    pool_db.run("INSERT INTO balance_history (ts, key_id, balance) SELECT ?, id, 1.0 FROM keys", [NOW])

    result = restore(pool, document, "replace")
    assert result["mode"] == "replace"
    assert result["keys"] == {"added": 30, "updated": 0, "unchanged": 0, "rejected": 0}
    assert result["deleted"]["keys"] == 33
    assert "check_retries" in result["settings_reset"]
    assert pool_state(pool_db) == expected
    assert "state.alerts" in {row["name"] for row in pool_db.rows("SELECT name FROM config")}  # runtime state stays
    again = restore(pool, document, "replace")
    assert again["keys"]["added"] == 30 and pool_state(pool_db) == expected


# --- restored rows are seen at once ----------------------------------------------------

def test_a_client_key_works_at_once_after_a_restore_brings_it_back(pool, pool_db, local_server, fake):
    pool.post("/api/keys", json={"keys": [make_key("serves")]})
    created = pool.post("/api/client-keys", json={"name": "comes-back"}).json()
    assert chat(local_server, created["key"])
    document = download(pool)
    pool.delete(f"/api/client-keys/{created['id']}")
    pool.post("/api/keys/delete", json={"all": True})
    with pytest.raises(openai.AuthenticationError):  # ... and the gate remembers the miss for a while
        chat(local_server, created["key"])
    restore(pool, document)
    assert chat(local_server, created["key"])  # no wait: the gate's and the pool's caches were dropped
    logged(pool, 2)  # the refused call is not logged


def test_a_replace_keeps_client_keys_working(pool, pool_db, local_server, fake):
    pool.post("/api/keys", json={"keys": [make_key("replserves")]})
    key = pool.post("/api/client-keys", json={"name": "kept", "models": [MODEL]}).json()["key"]
    document = download(pool)
    restore(pool, document, "replace")
    assert chat(local_server, key)
    with pytest.raises(openai.PermissionDeniedError):  # its model allowlist came along too
        openai.OpenAI(base_url=f"{local_server.url}/v1", api_key=key, max_retries=0).chat.completions.create(
            model="other/model", messages=[{"role": "user", "content": "hi"}])
    logged(pool, 1)


# --- refused whole, pool unchanged ------------------------------------------------------

def test_a_truncated_document_is_refused_and_the_pool_is_unchanged(pool, pool_db):
    seed(pool, pool_db, 25, "cut", NOW, settings=False)
    document = download(pool)
    pool.post("/api/keys/delete", json={"ids": [pool_db.rows("SELECT max(id) AS id FROM keys")[0]["id"]]})
    before = pool_state(pool_db)
    end = document.rindex(b'"end"')
    for cut in (len(document) // 3, len(document) // 2, end - 2, end, len(document) - 5):
        error = refused(pool, document[:cut])
        assert error["code"] == "invalid_backup"
    # a row taken out in an editor: "end" no longer agrees
    lines = document.split(b"\n")
    row = next(i for i, line in enumerate(lines) if line.startswith(b'["sk-'))
    edited = b"\n".join(lines[:row] + lines[row + 1:])
    assert "cut short or edited" in refused(pool, edited)["message"]
    assert pool_state(pool_db) == before


def test_a_wrong_format_version_is_refused_and_the_pool_is_unchanged(pool, pool_db):
    seed(pool, pool_db, 5, "version", NOW, settings=False)
    document = download(pool)
    before = pool_state(pool_db)
    pool.post("/api/keys/delete", json={"all": True})
    emptied = pool_state(pool_db)
    for version in (b'"version":2', b'"version":"1"', b'"version":0'):
        error = refused(pool, document.replace(b'"version":1', version, 1))
        assert error["code"] == "unsupported_backup_version"
        assert "version" in error["message"]
    assert "not a Silicon Key Pool backup" in refused(pool, document.replace(b"silicon-key-pool-backup", b"x", 1))["message"]
    assert pool_state(pool_db) == emptied != before


def test_a_malformed_key_is_refused_and_the_pool_is_unchanged(pool, pool_db):
    seed(pool, pool_db, 12, "bad", NOW, settings=False)
    document = json.loads(download(pool))
    pool.post("/api/keys/delete", json={"all": True})
    before = pool_state(pool_db)
    columns = document["keys"]["columns"]

    def with_row(index: int, **changes) -> bytes:
        edited = json.loads(json.dumps(document))
        row = edited["keys"]["rows"][index]
        for name, value in changes.items():
            row[columns.index(name)] = value
        return json.dumps(edited).encode()

    last = len(document["keys"]["rows"]) - 1  # the bad row comes last: nothing before it may be written
    for changes, says in (({"key": "sk-short"}, "key"), ({"key": "not-a-key-at-all-xxxxxxxxxxxxxxxx"}, "key"),
                          ({"status": "great"}, "status"), ({"balance": "14"}, "balance"),
                          ({"added_at": 1733000000000}, "added_at"), ({"history": [[1, 2, 3]]}, "history")):
        error = refused(pool, with_row(last, **changes))
        assert f"keys row {last + 1}" in error["message"] and says in error["message"], error
        assert "sk-short" not in error["message"]
    duplicated = json.loads(json.dumps(document))
    duplicated["keys"]["rows"].append(duplicated["keys"]["rows"][0])
    duplicated["end"]["keys"] += 1
    assert "twice" in refused(pool, json.dumps(duplicated).encode())["message"]
    assert pool_state(pool_db) == before
    assert pool.get("/api/keys").json()["total"] == 0


def test_other_bad_requests_are_refused_with_a_clear_message(pool, pool_db):
    checks_done(pool, pool.post("/api/keys", json={"keys": [make_key("other")]}))
    document = download(pool)
    before = pool_state(pool_db)
    assert "mode" in refused(pool, document, mode="overwrite")["message"]
    for body, says in ((b"", "empty"), (b"{not json", "not valid JSON"), (b"[1, 2]", "JSON object"),
                       (make_key("plain").encode(), "import"), (b"\xff\xfe", "UTF-8"),
                       (document.replace(b'"end"', b'"extra":1,"end"'), "unknown section")):
        assert says in refused(pool, body)["message"], body
    assert pool_state(pool_db) == before
