"""The alert webhook cannot be pointed into the server's own network (SSRF),
and redirects are never followed; the test button reports what happened."""

from __future__ import annotations

import asyncio
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import threading

import pytest

from integration.balance_support import WebhookReceiver
from support import LocalServerProcess, admin_client

PRIVATE_URLS = ["http://127.0.0.1:9/hook", "http://10.0.0.7/hook", "http://169.254.169.254/latest/meta-data",
                "http://[::1]:8080/", "http://localhost/hook", "https://printer.local/x", "http://intranet/x",
                "http://2130706433/", "http://0x7f000001/", "http://[::ffff:127.0.0.1]/", "http://192.168.1.1:80/"]


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory):
    server = LocalServerProcess(tmp_path_factory.mktemp("strict")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def lenient_server(tmp_path_factory):
    server = LocalServerProcess(tmp_path_factory.mktemp("lenient"), env={"ALLOW_PRIVATE_WEBHOOKS": "1"}).start()
    yield server
    server.stop()


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_private_and_local_targets_are_refused_when_saved(strict_server, url):
    with admin_client(strict_server.url) as api:
        response = api.put("/api/settings", json={"alert_webhook_url": url})
        assert response.status_code == 400, url
        error = response.json()["error"]
        assert error["param"] == "alert_webhook_url" and "ALLOW_PRIVATE_WEBHOOKS" in error["message"]
        assert api.get("/api/settings").json()["alert_webhook_url"] == ""


def test_public_targets_are_accepted(strict_server):
    with admin_client(strict_server.url) as api:
        for url in ("https://hooks.example.com/x?token=1", "http://93.184.216.34:8080/a"):
            assert api.put("/api/settings", json={"alert_webhook_url": url}).status_code == 200
        assert api.put("/api/settings", json={"alert_webhook_url": ""}).status_code == 200


def test_the_test_button_sends_one_test_event(lenient_server):
    with WebhookReceiver() as hook, admin_client(lenient_server.url) as api:
        assert api.put("/api/settings", json={"alert_webhook_url": f"{hook.url}/hook"}).status_code == 200
        result = api.post("/api/alerts/test").json()
        assert result == {"sent": True, "status": 200, "error": None}
        assert [post["json"]["event"] for post in hook.posts] == ["test"]
        assert api.get("/api/audit", params={"action": "alerts"}).json()["items"][0]["detail"] == {"sent": True}


def test_redirects_are_not_followed(lenient_server):
    hits: list[str] = []

    class Redirecting(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            hits.append(self.path)
            self.send_response(302)
            self.send_header("location", "/internal-target")
            self.send_header("content-length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with admin_client(lenient_server.url) as api:
            url = f"http://127.0.0.1:{server.server_address[1]}/hook"
            assert api.put("/api/settings", json={"alert_webhook_url": url}).status_code == 200
            result = api.post("/api/alerts/test").json()
            assert (result["sent"], result["status"]) == (False, 302)
            assert hits == ["/hook"]  # the redirect target was never called
            api.put("/api/settings", json={"alert_webhook_url": ""})
    finally:
        server.shutdown()
        server.server_close()


class _Resolver:
    """A Resolver port answering from a table."""

    def __init__(self, table):
        self.table = table

    async def addresses(self, host):
        return self.table.get(host, [])


class _Upstream:
    """An Upstream port that records calls (none should come)."""

    def __init__(self):
        self.calls = []

    async def send(self, method, url, headers, body, timeout, defer=None):
        self.calls.append(url)
        raise AssertionError("the webhook must not be called")


def test_a_host_name_that_resolves_to_a_private_address_is_refused_at_send_time(tmp_path):
    from keypool.adapters.file_assets import FileAssets
    from keypool.adapters.hashlib_kdf import HashlibKeyDerivation
    from keypool.adapters.sqlite import SQLiteDatabase
    from keypool.adapters.system_clock import SystemClock
    from keypool.app import create_app
    from keypool.server import STATIC_DIR, read_migrations
    from keypool import schema
    from keypool.settings import Settings

    async def scenario():
        db = SQLiteDatabase(str(tmp_path / "pool.sqlite3"))
        await schema.apply(db, read_migrations())
        upstream = _Upstream()
        resolver = _Resolver({"hooks.example.com": ["93.184.216.34", "10.1.2.3"]})
        app = create_app(Settings(), db, upstream, FileAssets(STATIC_DIR), SystemClock(), HashlibKeyDerivation(),
                         resolver)
        result = await app.jobs.alerts.send_test({"alert_webhook_url": "https://hooks.example.com/x"}, 0)
        db.close()
        return result, upstream.calls

    result, calls = asyncio.run(scenario())
    assert result["sent"] is False and "resolves to a loopback, private or local address" in result["error"]
    assert calls == []
