"""Moving a whole pool between local servers: 2,000 keys in mixed states with
history, client keys and changed settings, backed up over HTTP and restored
into an empty pool, every row compared; the same through the command line,
and a big backup split into parts restored one by one."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import openai
import pytest

from integration.backup_support import MODEL, LocalPoolDB, checks_done, download, pool_state, restore, seed, unchanged
from support import ADMIN_TOKEN, ROOT, LocalServerProcess, admin_client

NOW = int(time.time())
KINDS = ("keys", "client_keys", "settings", "blocks", "history", "pool_history")


@pytest.fixture(scope="module")
def source(tmp_path_factory, fake_siliconflow):
    """A pool of 2,000 keys in every state, on a local server of its own."""
    server = LocalServerProcess(tmp_path_factory.mktemp("source"),
                                env={"UPSTREAM_BASE_URL": fake_siliconflow.url}).start()
    with admin_client(server.url) as api:
        info = seed(api, LocalPoolDB(server.db_path), 2000, "move", NOW)
    yield server, info
    server.stop()


@pytest.fixture
def target(tmp_path, fake_siliconflow):
    """An empty pool on a fresh local server."""
    server = LocalServerProcess(tmp_path, env={"UPSTREAM_BASE_URL": fake_siliconflow.url}).start()
    yield server
    server.stop()


def cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "keypool", *args], cwd=ROOT, input=stdin, capture_output=True,
                            env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    return result


def test_a_pool_of_2000_keys_moves_whole_to_an_empty_pool(source, target, fake):
    server, info = source
    expected = pool_state(LocalPoolDB(server.db_path))
    assert len(expected["keys"]) == 2000 and len(expected["history"]) > 1000 and len(expected["blocks"]) > 100
    with admin_client(server.url) as old, admin_client(target.url) as new:
        document = download(old)
        assert ADMIN_TOKEN.encode() not in document
        first = restore(new, document)
        assert first["keys"] == {"added": 2000, "updated": 0, "unchanged": 0, "rejected": 0}
        assert first["history"]["added"] == len(expected["history"])
        assert first["client_keys"]["added"] == 3
        state = pool_state(LocalPoolDB(target.db_path))
        for kind in expected:  # every key, status, balance, exclusion, history row, client key, setting
            assert state[kind] == expected[kind], kind
        assert new.get("/api/settings").json() == old.get("/api/settings").json()
        assert "state.alerts" not in {row["name"] for row in LocalPoolDB(target.db_path).rows("SELECT name FROM config")}

        second = restore(new, document)
        assert all(unchanged(second, kind) for kind in KINDS), second
        assert second["keys"]["unchanged"] == 2000
        assert pool_state(LocalPoolDB(target.db_path)) == expected

        # The old pool's client key works on the new one, through the openai SDK; its limits came along.
        client = openai.OpenAI(base_url=f"{target.url}/v1", api_key=info["clients"]["app"], max_retries=0)
        reply = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
        assert reply.choices[0].message.content
        with pytest.raises(openai.PermissionDeniedError):
            client.chat.completions.create(model="not/allowed", messages=[{"role": "user", "content": "hi"}])
        with pytest.raises(openai.PermissionDeniedError):  # disabled there, disabled here
            openai.OpenAI(base_url=f"{target.url}/v1", api_key=info["clients"]["friend"], max_retries=0) \
                .chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])


def test_the_command_line_backs_up_and_restores_a_database(source, tmp_path):
    server, _ = source
    expected = pool_state(LocalPoolDB(server.db_path))
    backup = cli("backup", "--db", str(server.db_path)).stdout
    assert json.loads(backup)["end"]["keys"] == 2000
    (tmp_path / "pool.json").write_bytes(backup)
    copy = tmp_path / "copy.sqlite3"
    result = json.loads(cli("restore", str(tmp_path / "pool.json"), "--db", str(copy)).stdout)
    assert result["keys"]["added"] == 2000
    assert pool_state(LocalPoolDB(copy)) == expected
    again = json.loads(cli("restore", "-", "--db", str(copy), "--mode", "merge", stdin=backup).stdout)
    assert again["keys"]["unchanged"] == 2000
    replaced = json.loads(cli("restore", str(tmp_path / "pool.json"), "--db", str(copy), "--mode", "replace").stdout)
    assert replaced["deleted"]["keys"] == 2000 and pool_state(LocalPoolDB(copy)) == expected
    bad = subprocess.run([sys.executable, "-m", "keypool", "restore", "-", "--db", str(copy)], input=backup[:1000],
                         cwd=ROOT, capture_output=True, env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    assert bad.returncode == 1 and b"cut short" in bad.stderr
    assert pool_state(LocalPoolDB(copy)) == expected


def test_a_backup_split_into_parts_restores_to_the_same_pool(source, target, tmp_path):
    server, _ = source
    expected = pool_state(LocalPoolDB(server.db_path))
    (tmp_path / "pool.json").write_bytes(cli("backup", "--db", str(server.db_path)).stdout)
    names = cli("split", str(tmp_path / "pool.json"), "--keys", "600").stdout.decode().split()
    assert [name.rsplit("/", 1)[1] for name in names] == [f"pool.part{i:03d}.json" for i in range(1, 5)]
    with admin_client(target.url) as new:
        checks_done(new, new.post("/api/keys", json={"keys": ["sk-" + "z" * 48]}))  # gone after the replace
        results = [restore(new, open(name, "rb").read(), "replace" if i == 0 else "merge")
                   for i, name in enumerate(names)]
        assert [r["keys"]["added"] for r in results] == [600, 600, 600, 200]
        assert pool_state(LocalPoolDB(target.db_path)) == expected
        again = restore(new, open(names[2], "rb").read())  # a part sent twice changes nothing
        assert unchanged(again, "keys")
