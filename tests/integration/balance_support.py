"""Helpers for the balance-check suites (tests/integration/balance/): a faulty
front for the fake upstream, a webhook receiver, job helpers.

The fake SiliconFlow applies error behaviours to inference calls only, and
answers `/v1/user/info` for every key; the balance checks need that endpoint
to answer 429 bursts, 5xx and slow answers too. `FaultyFront` is a real HTTP
server on 127.0.0.1 in front of the fake: it injects those on
`/v1/user/info` and forwards everything else (and the rest of user/info) as is.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from aiohttp import ClientSession, ClientTimeout, web


USER_INFO = "/v1/user/info"
RATE_LIMITED = {"code": 50601, "message": "Request was rejected due to rate limiting. Details: RPM limit reached.",
                "data": None}
OVERLOADED = {"code": 50505, "message": "Model service overloaded. Please try again later.", "data": None}
# What each test of these suites starts from.
BASE_SETTINGS = {
    "check_concurrency": 20, "check_retries": 2, "check_timeout_s": 15, "check_interval_ms": 0,
    "check_interval_min_ms": 0, "check_interval_max_ms": 0, "refresh_batch": 100, "client_side_checking": False,
    "alert_webhook_url": "", "alert_min_total_balance": 0, "alert_min_valid_keys": 0,
    "check_on_import": False,  # these suites start every check themselves and count the calls
}


class FaultyFront:
    def __init__(self, target: str):
        self.target = target.rstrip("/")
        self._lock = threading.Lock()
        self.port = 0
        self.reset()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset(self) -> None:
        with self._lock:
            self._burst = 0
            self._burst_retry_after: str | None = None
            self._faults: dict[str, dict[str, Any]] = {}
            self.served: dict[str, int] = {"rate_limited": 0, "faults": 0}
            self.faults_by_key: dict[str, int] = {}

    def rate_limit_next(self, n: int, retry_after: str | None = None) -> None:
        """The next `n` user/info calls, whatever the key, answer 429."""
        with self._lock:
            self._burst, self._burst_retry_after = n, retry_after

    def fail(self, key: str, status: int, times: int | None = None) -> None:
        """user/info for `key` answers `status` (the next `times` calls, or always)."""
        with self._lock:
            self._faults[key] = {"status": status, "times": times}

    def slow(self, key: str, seconds: float, times: int | None = None) -> None:
        """user/info for `key` answers 504 after `seconds` (never reaching the fake: no late calls counted)."""
        with self._lock:
            self._faults[key] = {"slow": seconds, "times": times}

    def _decide(self, key: str | None) -> dict[str, Any] | None:
        with self._lock:
            if self._burst > 0:
                self._burst -= 1
                self.served["rate_limited"] += 1
                return {"status": 429, "retry_after": self._burst_retry_after}
            fault = self._faults.get(key or "")
            if fault is None or fault["times"] == 0:
                return None
            if fault["times"] is not None:
                fault["times"] -= 1
            self.served["faults"] += 1
            self.faults_by_key[key] = self.faults_by_key.get(key, 0) + 1
            return dict(fault)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        auth = request.headers.get("authorization", "")
        key = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        fault = self._decide(key) if request.path == USER_INFO else None
        if fault and "status" in fault:
            body = RATE_LIMITED if fault["status"] == 429 else OVERLOADED
            headers = {"retry-after": fault["retry_after"]} if fault.get("retry_after") else None
            return web.json_response(body, status=fault["status"], headers=headers)
        if fault and "slow" in fault:
            await asyncio.sleep(fault["slow"])
            return web.json_response({"message": "gateway timeout"}, status=504)
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("authorization", "content-type")}
        async with self._session.request(request.method, self.target + request.path_qs, headers=headers,
                                         data=await request.read()) as answer:
            body = await answer.read()
            copied = {k: v for k, v in answer.headers.items() if k.lower() in ("content-type", "retry-after")}
            return web.Response(status=answer.status, body=body, headers=copied)

    def start(self) -> "FaultyFront":
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop

            async def setup() -> None:
                self._session = ClientSession(timeout=ClientTimeout(total=120))
                app = web.Application()
                app.router.add_route("*", "/{tail:.*}", self._handle)
                self._runner = web.AppRunner(app, access_log=None)
                await self._runner.setup()
                await web.TCPSite(self._runner, "127.0.0.1", 0, backlog=1024).start()
                self.port = self._runner.addresses[0][1]

            loop.run_until_complete(setup())
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=serve, name="faulty-front", daemon=True)
        self._thread.start()
        assert ready.wait(10), "the faulty front did not start"
        return self

    def stop(self) -> None:
        async def cleanup() -> None:
            await self._session.close()
            await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


class WebhookReceiver(ThreadingHTTPServer):
    """Records the JSON POSTed to it; answers `status`."""

    daemon_threads = True

    def __init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver.lock:
                    receiver.posts.append({"path": self.path, "json": json.loads(body or b"null"),
                                           "content_type": self.headers.get("content-type")})
                self.send_response(receiver.status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.posts: list[dict[str, Any]] = []
        self.status = 200

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> "WebhookReceiver":
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.shutdown()
        self.server_close()


def wait_job(api: httpx.Client, job_id: int, timeout: float = 120, until=None) -> dict[str, Any]:
    """Poll a job until it rests (not running, no chunk in flight), or until `until(job)`."""
    deadline = time.monotonic() + timeout
    while True:
        job = api.get(f"/api/jobs/{job_id}").json()
        if (until(job) if until else job["state"] != "running" and not job["active"]):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} did not get there within {timeout}s: {job}")
        time.sleep(0.05)


def run_job(api: httpx.Client, **body: Any) -> dict[str, Any]:
    response = api.post("/api/keys/check", json=body)
    assert response.status_code == 200, response.text
    return wait_job(api, response.json()["job"])


def import_keys(api: httpx.Client, keys: list[str]) -> dict[str, int]:
    """Import keys; key -> id."""
    assert api.post("/api/keys", json={"keys": keys}).json()["added"] == len(keys)
    listed = api.get("/api/keys/export", params={"format": "plain"}).text.split("\n")
    ids = api.get("/api/keys/ids").json()["ids"]
    return dict(zip(listed, ids))


def export(api: httpx.Client, **params: Any) -> dict[str, str]:
    """key -> balance text ("unknown" when unknown), unmasked, for a filter."""
    text = api.get("/api/keys/export", params={"format": "with_balance", **params}).text
    return dict(line.split("----") for line in text.split("\n") if line)
