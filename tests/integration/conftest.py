import pytest

from support import admin_client

# Settings each test starts from, so one test's tuning never leaks into the next.
# Imports check no key unless a test asks (check_on_import is on by default): tests count upstream calls.
BASE_SETTINGS = {"strategy": "round_robin", "max_attempts": 3, "upstream_timeout_s": 120, "free_models": [],
                 "check_on_import": False, "max_key_failovers": 10, "request_deadline_s": 30,
                 "request_log": "all", "log_flush_s": 20}


@pytest.fixture
def api(local_server, fake):
    """An admin client on an empty pool with default settings and a fresh fake upstream."""
    with admin_client(local_server.url) as client:
        assert client.post("/api/keys/delete", json={"all": True}).status_code == 200
        assert client.put("/api/settings", json=BASE_SETTINGS).status_code == 200
        assert client.delete("/api/logs").status_code == 200
        yield client


@pytest.fixture
def set_balance(local_server):
    """Write a key's balance straight into the server's SQLite file, as a balance check would."""
    import sqlite3

    def set_it(key: str, balance: float | None) -> None:
        with sqlite3.connect(local_server.db_path) as conn:
            assert conn.execute("UPDATE keys SET balance = ? WHERE key = ?", (balance, key)).rowcount == 1

    return set_it
