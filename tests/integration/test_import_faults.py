"""Imports under faults: two overlapping imports at once, and the local server killed
(SIGKILL) in the middle of a 100,000-key import. tests/worker/test_worker_import_faults.py
runs the concurrent one on the Worker."""

from __future__ import annotations

import concurrent.futures
import signal
import sqlite3
import threading
import time

import httpx
import pytest

from support import ADMIN_TOKEN, LocalServerProcess, admin_client


def keys(start: int, stop: int) -> list[str]:
    return [f"sk-fault{i:012d}{'y' * 30}" for i in range(start, stop)]


def test_two_overlapping_imports_at_once_add_each_key_once_and_count_right(api, local_server):
    first, second = keys(0, 6000), keys(4000, 10_000)  # 2,000 keys in both
    barrier = threading.Barrier(2)

    def run(batch):
        with admin_client(local_server.url) as client:
            barrier.wait()
            return client.post("/api/keys", json={"keys": "\n".join(batch)}).json()

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        a, b = pool.map(run, (first, second))
    assert a["added"] + b["added"] == 10_000
    assert a["duplicates"] + b["duplicates"] == 2000
    assert a["added"] + a["duplicates"] == 6000 and b["added"] + b["duplicates"] == 6000
    assert api.get("/api/keys", params={"page_size": 1}).json()["total"] == 10_000
    exported = api.get("/api/keys/export").text.split("\n")
    assert len(exported) == len(set(exported)) == 10_000


def wal_grows(server: LocalServerProcess, beyond: int) -> bool:
    """True once the database's write-ahead log holds more than `beyond` bytes: the import
    is writing its transaction (SQLite spills a big one into the WAL before it commits)."""
    wal = server.db_path.with_name(server.db_path.name + "-wal")
    try:
        return wal.stat().st_size > beyond
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("kill_when", ["writing", 0.1, 0.6])
def test_sigkill_in_the_middle_of_a_big_import_leaves_every_key_fully_in_or_out(tmp_path, kill_when):
    """Killed while the transaction is being written (the WAL is growing), or at fixed moments."""
    server = LocalServerProcess(tmp_path).start()
    wal = server.db_path.with_name(server.db_path.name + "-wal")
    start_size = wal.stat().st_size if wal.exists() else 0
    batch = keys(0, 100_000)
    body = {"keys": "\n".join(batch)}
    outcome: dict = {}

    def send():
        try:
            outcome["answer"] = httpx.post(f"{server.url}/api/keys", json=body, timeout=60,
                                           headers={"authorization": f"Bearer {ADMIN_TOKEN}"}).json()
        except httpx.HTTPError as exc:
            outcome["error"] = exc

    sender = threading.Thread(target=send)
    sender.start()
    if kill_when == "writing":
        deadline = time.monotonic() + 30
        while not wal_grows(server, start_size + 1_000_000) and "answer" not in outcome:
            assert time.monotonic() < deadline, "the import never started writing"
            time.sleep(0.001)
        assert "answer" not in outcome, "the import finished before the kill: nothing was tested"
    else:
        time.sleep(kill_when)
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    sender.join()
    with sqlite3.connect(server.db_path) as conn:
        count, = conn.execute("SELECT count(*) FROM keys").fetchone()
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        malformed, = conn.execute("SELECT count(*) FROM keys WHERE key NOT LIKE 'sk-fault%' OR added_at IS NULL "
                                  "OR status != 'unchecked'").fetchone()
    # One transaction: the whole import, or none of it (an answer means it committed).
    assert count in (0, 100_000), count
    assert malformed == 0
    if "answer" in outcome:
        assert count == 100_000
    if kill_when == "writing":
        assert count == 0  # killed before the commit: rolled back on the next open
    server.start()  # the same file: it opens, and a second import counts what is there
    try:
        with admin_client(server.url) as api:
            again = api.post("/api/keys", json=body).json()
            assert (again["added"], again["duplicates"]) == (100_000 - count, count)
            assert api.get("/api/keys", params={"page_size": 1}).json()["total"] == 100_000
    finally:
        server.stop()
