"""Backup and restore on the Worker (Pyodide + Miniflare's D1, through the
harness): the local suite (tests/integration/test_backup.py) unchanged, and
pools moved across runtimes — Worker to a fresh local server, local to the
Worker — with every row compared and a client key used through /v1 after."""

from __future__ import annotations

import time

import openai
import pytest

from integration import test_backup as local_suite
from integration.backup_support import (LocalPoolDB, WorkerPoolDB, download, pool_state, restore, seed,
                                        unchanged)
from integration.test_backup import pool  # noqa: F401  (the suite's fixture, here on the Worker)
from support import LocalServerProcess, admin_client, rerun

rerun(local_suite, globals())

NOW = int(time.time())
D1_FREE_PLAN_QUERIES = 50


@pytest.fixture
def pool_db(worker_harness):
    return WorkerPoolDB(worker_harness)


@pytest.fixture(scope="module")
def fresh_local(tmp_path_factory, fake_siliconflow):
    """Local servers on empty databases, started on demand, stopped with the module."""
    started = []

    def start(name: str) -> LocalServerProcess:
        server = LocalServerProcess(tmp_path_factory.mktemp(name), env={"UPSTREAM_BASE_URL": fake_siliconflow.url})
        started.append(server.start())
        return server

    yield start
    for server in started:
        server.stop()


def queries_of(harness, response) -> int:
    stats = harness.stats(response.headers["x-harness-invocation"])
    assert stats["done"] and stats["error"] is None, stats
    return stats["d1_queries"]


def test_a_worker_pool_moves_to_an_empty_local_pool(pool, pool_db, worker_harness, fresh_local, fake):
    info = seed(pool, pool_db, 2000, "w2l", NOW)
    expected = pool_state(pool_db)
    response = pool.get("/api/backup")
    assert response.status_code == 200
    assert queries_of(worker_harness, response) <= D1_FREE_PLAN_QUERIES
    document = response.content

    target = fresh_local("w2l")
    with admin_client(target.url) as local:
        first = restore(local, document)
        assert first["keys"] == {"added": 2000, "updated": 0, "unchanged": 0, "rejected": 0}
        state = pool_state(LocalPoolDB(target.db_path))
        for kind in expected:
            assert state[kind] == expected[kind], kind
        assert local.get("/api/settings").json() == pool.get("/api/settings").json()
        second = restore(local, document)
        assert all(unchanged(second, kind) for kind in ("keys", "client_keys", "settings", "blocks", "history"))
        assert pool_state(LocalPoolDB(target.db_path)) == expected
        assert local_suite.chat(target, info["clients"]["app"])
        with pytest.raises(openai.PermissionDeniedError):  # still disabled on the new pool
            local_suite.chat(target, info["clients"]["friend"])


def test_a_local_pool_moves_to_the_worker(pool, pool_db, worker_harness, fresh_local, fake):
    source = fresh_local("l2w")
    source_db = LocalPoolDB(source.db_path)
    with admin_client(source.url) as local:
        info = seed(local, source_db, 2000, "l2w", NOW)
        expected = pool_state(source_db)
        document = download(local)
    # The harness's pool is shared with other tests: replace makes it exactly the backup.
    response = pool.post("/api/restore", params={"mode": "replace"}, content=document)
    assert response.status_code == 200, response.text
    assert queries_of(worker_harness, response) <= D1_FREE_PLAN_QUERIES
    assert response.json()["keys"]["added"] == 2000
    state = pool_state(pool_db)
    for kind in expected:
        assert state[kind] == expected[kind], kind
    again = restore(pool, document)
    assert all(unchanged(again, kind) for kind in ("keys", "client_keys", "settings", "blocks", "history"))
    assert pool_state(pool_db) == expected
    assert local_suite.chat(worker_harness, info["clients"]["app"])
    local_suite.logged(pool, 1)
