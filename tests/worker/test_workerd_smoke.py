"""Smoke test of the Worker in the real runtime: `wrangler dev --local` (workerd,
real D1, KV, streaming and the cron handler) against the fake SiliconFlow.

With KEYPOOL_WORKERD_OFFLINE naming the offline runtime cache
(../shared/workerd-offline) it runs without internet; without it plain
`wrangler dev` is used, which downloads the Python runtime once (the module is
skipped, with the reason, when that is impossible). Started once for the
module and always stopped.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from support import ADMIN_PASSWORD, ADMIN_TOKEN, admin_client, free_port, make_key, wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]
WRANGLER = ROOT / "node_modules" / "wrangler" / "bin" / "wrangler.js"
MODEL = "deepseek-ai/DeepSeek-V3"
START_TIMEOUT_S = 120
QUIET_ENV = {"WRANGLER_SEND_METRICS": "false", "WRANGLER_HIDE_BANNER": "true",
             "CLOUDFLARE_CF_FETCH_ENABLED": "false", "CI": "1"}
# What a failed download of the Python runtime bundle looks like in wrangler dev's output.
_DOWNLOAD_TROUBLE = ("pyodide-capnp-bin", "DNS lookup failed", "fetch failed", "ENOTFOUND", "EAI_AGAIN",
                     "getaddrinfo", "download")


def run_wrangler(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(["node", str(WRANGLER), *args], cwd=ROOT, env=env, capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=120)
    assert result.returncode == 0, f"wrangler {' '.join(args)}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"


class WranglerDev:
    def __init__(self, folder: Path, upstream_url: str):
        self.folder = folder
        self.state = folder / "state"
        self.log_path = folder / "wrangler-dev.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.upstream_url = upstream_url
        self.offline = os.environ.get("KEYPOOL_WORKERD_OFFLINE")
        self.env = {**os.environ, **QUIET_ENV}
        if self.offline:
            self.env["MINIFLARE_WORKERD_PATH"] = str(Path(self.offline).resolve() / "workerd")
        self.process: subprocess.Popen | None = None
        self.extra_args: list[str] = []  # e.g. ["--compatibility-flags", "..."]

    def prepare(self) -> None:
        run_wrangler(self.env, "d1", "migrations", "apply", "DB", "--local", "--persist-to", str(self.state))
        # The admin UI into KV exactly as a user deploys it.
        result = subprocess.run([str(ROOT / "deploy-static.sh"), "--local", "--persist-to", str(self.state)],
                                cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120,
                                stdin=subprocess.DEVNULL)
        assert result.returncode == 0, f"deploy-static.sh:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        self.deploy_output = result.stdout

    def start(self) -> None:
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            ["node", str(WRANGLER), "dev", "--local", "--ip", "127.0.0.1", "--port", str(self.port),
             "--persist-to", str(self.state), "--show-interactive-dev-session=false",
             "--var", f"ADMIN_TOKEN:{ADMIN_TOKEN}", "--var", f"UPSTREAM_BASE_URL:{self.upstream_url}",
             "--var", f"ADMIN_PASSWORD:{ADMIN_PASSWORD}", "--var", "SESSION_SECRET:smoke-session-secret",
             *self.extra_args],
            cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole, by id
        )
        log.close()
        # the first request also starts Pyodide (a few seconds)
        wait_until_healthy(self.url, self.process, self.log_path, START_TIMEOUT_S, request_timeout=60)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


@pytest.fixture(scope="module")
def workerd(tmp_path_factory, fake_siliconflow):
    if not WRANGLER.exists() or not (ROOT / "node_modules" / "workerd").exists():
        pytest.skip("wrangler/workerd are not installed: run `npm ci`")
    dev = WranglerDev(tmp_path_factory.mktemp("workerd"), fake_siliconflow.url)
    try:
        failure = None
        try:
            dev.prepare()
            dev.start()
        except (RuntimeError, AssertionError, subprocess.TimeoutExpired) as exc:
            failure = str(exc)
        if failure is not None:
            log = dev.log()
            dev.stop()
            if not dev.offline and any(sign in log for sign in _DOWNLOAD_TROUBLE):
                pytest.skip("wrangler dev could not download the Python runtime (no internet?) and "
                            "KEYPOOL_WORKERD_OFFLINE is not set (point it at ../shared/workerd-offline)")
            pytest.fail(f"{failure}\n--- wrangler dev output ---\n{log[-6000:]}", pytrace=False)
        yield dev
    finally:
        dev.stop()


@pytest.fixture
def api(workerd, fake):
    with admin_client(workerd.url) as client:
        assert client.post("/api/keys/delete", json={"all": True}).status_code == 200
        # These tests count upstream calls: imports check nothing here (check_on_import is on by default).
        assert client.put("/api/settings", json={"check_on_import": False}).status_code == 200
        yield client


def client_key(api) -> str:
    response = api.post("/api/client-keys", json={"name": "smoke"})
    assert response.status_code == 201, response.text
    return response.json()["key"]


def log_total(api) -> int:
    return api.get("/api/logs", params={"page_size": 1}).json()["total"]


def next_log(api, total_before: int, timeout: float = 10) -> dict:
    """The newest request-log entry, once there are more than `total_before`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = api.get("/api/logs", params={"page_size": 1}).json()
        if body["total"] > total_before:
            return body["items"][0]
        time.sleep(0.1)
    raise AssertionError(f"no new request-log entry after {total_before}")


def chat_stream(workerd, key: str) -> httpx.Response:
    return httpx.stream("POST", f"{workerd.url}/v1/chat/completions", headers={"authorization": f"Bearer {key}"},
                        json={"model": MODEL, "stream": True, "stream_options": {"include_usage": True},
                              "messages": [{"role": "user", "content": "hi"}]}, timeout=30)


def test_healthz_and_the_ui_from_kv_after_deploy_static(workerd):
    assert httpx.get(f"{workerd.url}/healthz").json() == {"ok": True}
    files = [p for p in (ROOT / "static").rglob("*") if p.is_file()]
    assert f"{len(files)} files in static/: {len(files)} to upload" in workerd.deploy_output
    for path in ("/", "/keys", "/docs"):
        page = httpx.get(f"{workerd.url}{path}")
        assert page.status_code == 200
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert page.content == (ROOT / "static" / "index.html").read_bytes()
        assert "script-src 'self'" in page.headers["content-security-policy"]
    for name, kind, cache in (("js/app.js", "text/javascript; charset=utf-8", "no-cache"),
                              ("vendor/htm-preact-standalone-3.1.1.js", "text/javascript; charset=utf-8",
                               "public, max-age=31536000, immutable"),
                              ("img/icon.svg", "image/svg+xml; charset=utf-8", "no-cache")):
        response = httpx.get(f"{workerd.url}/static/{name}")
        assert response.status_code == 200 and response.content == (ROOT / "static" / name).read_bytes()
        assert response.headers["content-type"] == kind and response.headers["cache-control"] == cache
        # the ETag deploy-static.sh stored with the file, as the local server derives it
        assert response.headers["etag"] == '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'
        again = httpx.get(f"{workerd.url}/static/{name}", headers={"if-none-match": response.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
    assert httpx.get(f"{workerd.url}/static/nope.js").status_code == 404
    missing = httpx.get(f"{workerd.url}/no-such-page")
    assert missing.status_code == 404 and missing.headers["content-type"] == "text/html; charset=utf-8"


def test_sign_in_keys_list_and_import_in_a_browser(api, workerd):
    """The same UI as locally, once through the real runtime: sign in, import through the textarea,
    see the rows the API lists; no console error or failed request on the way."""
    from browser.ui_support import Guard, launch_chromium, ready

    keys = [make_key(f"{i:02d}browser") for i in range(15)]
    with launch_chromium() as browser:
        context = browser.new_context(base_url=workerd.url, locale="en-US", viewport={"width": 1280, "height": 800})
        page = context.new_page()
        guard = Guard()
        guard.attach(page)
        page.goto("/")
        ready(page)
        page.fill("#password", ADMIN_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/admin")
        page.goto("/keys")
        ready(page)
        page.get_by_role("button", name="Add keys").first.click()
        dialog = page.get_by_role("dialog", name="Add keys")
        dialog.get_by_label("Keys", exact=True).fill("\n".join(keys + keys[:2] + ["junk"]))
        dialog.get_by_role("button", name="Add", exact=True).click()
        dialog.get_by_text("Import finished").wait_for(timeout=60_000)
        counts = [dialog.locator(f'[data-count="{n}"]').inner_text() for n in ("added", "duplicates", "invalid")]
        assert counts == ["15", "2", "1"]
        dialog.get_by_role("button", name="Done").click()
        listed = [item["key"] for item in api.get("/api/keys", params={"page_size": 12}).json()["items"]]
        page.wait_for_function("(want) => JSON.stringify([...document.querySelectorAll("
                               "'table.keys-table tbody code.key')].map(e => e.textContent)) === JSON.stringify(want)",
                               arg=listed)
        page.get_by_role("button", name=re.compile(r"^Next$")).click()
        page.wait_for_function("() => document.querySelectorAll('table.keys-table tbody tr').length === 3")
        context.close()
    assert not guard.problems, guard.problems


def test_import_list_export(api, workerd):
    keys = [make_key(f"smoke{i}") for i in range(3)]
    body = api.post("/api/keys", json={"keys": "\n".join(keys + keys[:1] + ["junk"])}).json()
    assert (body["added"], body["duplicates"], body["invalid"]) == (3, 1, 1)
    listed = api.get("/api/keys", params={"sort": "added", "order": "asc"}).json()
    assert listed["total"] == 3 and [item["status"] for item in listed["items"]] == ["unchecked"] * 3
    assert api.get("/api/keys/export", params={"sep": "comma"}).text == ",".join(keys)
    assert httpx.get(f"{workerd.url}/api/keys").status_code == 401


def test_streamed_proxy_call_with_usage_logged(api, workerd, fake):
    api.post("/api/keys", json={"keys": [make_key("smokeok")]})
    key = client_key(api)
    fake.chunk_delay_ms = 150
    before = log_total(api)
    arrivals, text = [], ""
    started = time.monotonic()
    with chat_stream(workerd, key) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for chunk in response.iter_text():
            text += chunk
            if "tok" in chunk:
                arrivals.append(time.monotonic() - started)
    assert text.rstrip().endswith("data: [DONE]")
    assert arrivals[-1] - arrivals[0] >= 0.15 * (fake.chunks - 1) * 0.7  # streamed, not buffered
    entry = next_log(api, before)
    assert entry["status"] == 200 and entry["stream"] == 1
    assert entry["completion_tokens"] and entry["prompt_tokens"]


def test_upstream_break_ends_with_an_sse_error_event(api, workerd, fake):
    (upstream,) = [make_key("smokebreak")]
    fake.set_key(upstream, "break")
    api.post("/api/keys", json={"keys": [upstream]})
    before = log_total(api)
    with chat_stream(workerd, client_key(api)) as response:
        text = "".join(response.iter_text())
    assert '"stream_broken"' in text and "[DONE]" not in text
    assert next_log(api, before)["error_class"] == "stream_broken"


def test_client_disconnect_cancels_the_upstream_and_is_logged(api, workerd, fake):
    """Now and then wrangler dev's own proxy in front of workerd does not pass a
    disconnect on (the Worker then streams to the end, and logs a complete
    answer): so up to three tries, and every try must be logged."""
    api.post("/api/keys", json={"keys": [make_key("smokeslow")]})
    key = client_key(api)
    fake.chunk_delay_ms = 500
    for _ in range(3):
        fake.reset_calls()
        before = log_total(api)
        with chat_stream(workerd, key) as response:
            next(response.iter_raw())
        try:
            fake.wait_for(lambda calls: calls["disconnects"] >= 1, timeout=4)
        except TimeoutError:
            # Streamed to the end, still logged: written by an admin request once the relay ends, at
            # the latest when the isolate's write window closes (log_flush_s, 20 s).
            assert next_log(api, before, timeout=30)["error_class"] is None
            continue
        assert next_log(api, before)["error_class"] == "client_disconnected"
        return
    pytest.fail("three client disconnects in a row never reached the Worker")


def test_a_slow_upstream_times_out_and_the_next_key_answers(api, workerd, fake):
    slow, good = make_key("smokeslowkey"), make_key("smokegoodkey")
    fake.set_key(slow, "slow", delay=3)
    api.post("/api/keys", json={"keys": [slow, good]})
    assert api.put("/api/settings", json={"upstream_timeout_s": 1}).status_code == 200
    try:
        started = time.monotonic()
        response = httpx.post(f"{workerd.url}/v1/chat/completions", timeout=30,
                              headers={"authorization": f"Bearer {client_key(api)}"},
                              json={"model": MODEL, "messages": [{"role": "user", "content": "hi"}]})
        assert response.status_code == 200, response.text
        assert time.monotonic() - started < 2.9
        assert (fake.count(key=slow), fake.count(key=good)) == (1, 1)  # timed out, then failed over
    finally:
        api.put("/api/settings", json={"upstream_timeout_s": 120})


def test_cron_handler(workerd):
    before = len(workerd.log())
    response = httpx.get(f"{workerd.url}/cdn-cgi/handler/scheduled", params={"cron": "*/30 * * * *"}, timeout=60)
    assert response.status_code == 200, response.text
    time.sleep(0.5)
    assert "Error" not in workerd.log()[before:]

