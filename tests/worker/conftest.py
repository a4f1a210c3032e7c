"""The offline Worker harness (tests/worker/harness.mjs) as pytest fixtures.

`worker_url` is the base URL of the Python Worker running in Pyodide on Node
with Miniflare's D1 and KV, started once per session and always stopped. The
same HTTP tests that drive the local server can drive it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import queue
import shutil
import subprocess
import threading
import time
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from support import ADMIN_PASSWORD, ADMIN_TOKEN, admin_client, terminate

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
HARNESS = HERE / "harness.mjs"
PYODIDE_SIDE = HERE / "pyodide_side"
START_TIMEOUT_S = 120

# Settings each test starts from (as in tests/integration/conftest.py).
# Imports check no key unless a test asks (check_on_import is on by default): tests count upstream calls.
BASE_SETTINGS = {"strategy": "round_robin", "max_attempts": 3, "upstream_timeout_s": 120, "free_models": [],
                 "check_on_import": False, "max_key_failovers": 10, "request_deadline_s": 30,
                 "request_log": "all", "log_flush_s": 20}

_running: "WorkerHarness | None" = None


def sdk_site_packages() -> Path:
    """Where workers-runtime-sdk's files are (its `workers` package is mounted into Pyodide)."""
    spec = importlib.util.find_spec("workers")
    if spec is None or spec.origin is None:
        pytest.skip("workers-runtime-sdk is not installed (pip install -e '.[dev]')")
    return Path(spec.origin).resolve().parent.parent


def compatibility_flags() -> list[str]:
    with open(ROOT / "wrangler.toml", "rb") as file:
        return tomllib.load(file).get("compatibility_flags", [])


def harness_prerequisites() -> str | None:
    """Why the harness cannot run here, or None."""
    node = shutil.which("node")
    if node is None:
        return "node is not on PATH (the Worker harness needs Node >= 20)"
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    try:
        major = int(version.lstrip("v").split(".")[0])
    except ValueError:
        major = 0
    if major < 20:
        return f"the Worker harness needs Node >= 20, found {version or 'unknown'}"
    for package in ("pyodide", "miniflare"):
        if not (ROOT / "node_modules" / package / "package.json").exists():
            return f"node_modules/{package} is missing: run `npm ci` in {ROOT}"
    return None


class WorkerHarness:
    def __init__(self, folder: Path, env: dict[str, str], node_args: list[str] | None = None,
                 config: dict[str, Any] | None = None):
        self.folder = folder
        self.env = env
        self.node_args = node_args or []  # e.g. --cpu-prof for bench/worker_cpu_bench.py
        self.config = config or {}        # more harness settings, e.g. entryDir, deferImport (benchmarks)
        self.stderr_path = folder / "harness.stderr.log"
        self.process: subprocess.Popen | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "WorkerHarness":
        config = {
            "srcDir": str(ROOT / "src"),
            "sdkDir": str(sdk_site_packages()),
            "migrationsDir": str(ROOT / "migrations"),
            "staticDir": str(ROOT / "static"),
            "pyTestsDir": str(PYODIDE_SIDE),
            "env": self.env,
            # as workerd does with this compatibility flag
            "requestSignal": "enable_request_signal" in compatibility_flags(),
            **self.config,
        }
        stderr = open(self.stderr_path, "wb")
        self.process = subprocess.Popen(
            ["node", *self.node_args, str(HARNESS)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
            env={**os.environ, "KEYPOOL_HARNESS_CONFIG": json.dumps(config)},
        )
        stderr.close()
        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:  # keep stdout drained for the life of the process
            assert self.process and self.process.stdout
            for raw in self.process.stdout:
                lines.put(raw.decode(errors="replace").strip())
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                self.stop()
                raise RuntimeError(f"the Worker harness did not get ready in {START_TIMEOUT_S}s:\n"
                                   f"{self.stderr_tail()}") from None
            if line is None:
                code = self.process.wait()
                raise RuntimeError(f"the Worker harness exited with {code} before it was ready:\n"
                                   f"{self.stderr_tail()}")
            if line.startswith("READY "):
                self.port = int(line.split()[1])
                return self

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            assert self.process.stdin is not None
            self.process.stdin.close()  # the harness exits when stdin closes
            self.process.wait(10)
        except (subprocess.TimeoutExpired, OSError):
            terminate(self.process)

    def log(self) -> str:
        """Everything the harness and the Worker printed (as LocalServerProcess.log)."""
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def stderr_tail(self, lines: int = 80) -> str:
        try:
            text = self.stderr_path.read_text(errors="replace")
        except OSError:
            return "(no harness output)"
        return "\n".join(text.splitlines()[-lines:])

    # -- harness routes ------------------------------------------------------------

    def stats(self, invocation: int | str) -> dict[str, Any]:
        """Outbound fetches of one invocation, once its response and waitUntil work are done."""
        response = httpx.get(f"{self.url}/__harness/stats", params={"id": str(invocation)}, timeout=60)
        response.raise_for_status()
        return response.json()

    def d1_rows(self) -> dict[str, int]:
        """D1 rows read and written (D1's own meta counts) since the harness started."""
        response = httpx.get(f"{self.url}/__harness/d1rows", timeout=30)
        response.raise_for_status()
        return response.json()

    def scheduled(self, cron: str = "*/30 * * * *") -> dict[str, Any]:
        response = httpx.get(f"{self.url}/__harness/scheduled", params={"cron": cron}, timeout=300)
        return response.json() | {"http_status": response.status_code}

    def kv_put(self, key: str, value: bytes) -> None:
        httpx.put(f"{self.url}/__harness/kv/{key}", content=value, timeout=30).raise_for_status()

    def pycall(self, module: str, function: str, *args: Any, client_signal: bool = False) -> httpx.Response:
        """Await `module.function(env, defer, *args)` inside Pyodide (module from tests/worker/pyodide_side);
        `client_signal`: with js_fetch.client_signal aborted when this client disconnects."""
        return httpx.post(f"{self.url}/__harness/pycall", timeout=120, json={
            "module": module, "function": function, "args": list(args), "clientSignal": client_signal})

    def pyjson(self, module: str, function: str, *args: Any) -> Any:
        response = self.pycall(module, function, *args)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="session")
def worker_harness(tmp_path_factory, fake_siliconflow):
    global _running
    reason = harness_prerequisites()
    if reason:
        pytest.skip(reason)
    harness = WorkerHarness(tmp_path_factory.mktemp("worker-harness"), env={
        "ADMIN_TOKEN": ADMIN_TOKEN,
        "ADMIN_USERNAME": "admin",
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "SESSION_SECRET": "test-session-secret",
        "UPSTREAM_BASE_URL": fake_siliconflow.url,
        "ALLOW_PRIVATE_WEBHOOKS": "1",  # the alert tests' webhook listens on loopback
    })
    try:
        harness.start()
        _running = harness
        yield harness
    finally:
        _running = None
        harness.stop()


@pytest.fixture(scope="session")
def worker_url(worker_harness) -> str:
    return worker_harness.url


@pytest.fixture
def api(worker_url, fake):
    """An admin client of the Worker on an empty pool with default settings."""
    with admin_client(worker_url) as client:
        assert client.post("/api/keys/delete", json={"all": True}).status_code == 200
        response = client.put("/api/settings", json=BASE_SETTINGS)
        assert response.status_code == 200, response.text
        yield client


@pytest.fixture
def local_server(worker_harness):
    """What the local suites re-run here (support.rerun) call the server: the Worker harness."""
    return worker_harness


@pytest.fixture
def set_balance(worker_harness):
    """Write a key's balance into Miniflare's D1 through the Worker's own adapter."""

    def set_it(key: str, balance: float | None) -> None:
        changed = worker_harness.pyjson("worker_checks", "sql", "UPDATE keys SET balance = ? WHERE key = ?",
                                        [balance, key])
        assert changed == {"changes": 1}

    return set_it


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and _running is not None:
        report.sections.append(("Worker harness stderr (last lines)", _running.stderr_tail()))


# -- a raw loopback upstream for the adapter tests ---------------------------------------

class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "LoopbackUpstream"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _body(self) -> bytes:
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def do_PUT(self) -> None:
        self._route()

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {"content-type": "application/json", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (a timeout test)

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _route(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        body = self._body()
        self.server.requests.append({"method": self.command, "path": url.path, "headers": dict(self.headers)})
        if url.path == "/echo":
            payload = {"method": self.command, "path": url.path, "query": url.query,
                       "headers": {k.lower(): v for k, v in self.headers.items()},
                       "body": body.decode("utf-8", "replace")}
            self._send(200, json.dumps(payload).encode(), {"x-echo": "yes", "set-cookie": "a=1"})
        elif url.path == "/slow":
            time.sleep(float(query.get("s", "2")))
            self._send(200, b'"late"')
        elif url.path == "/bytes":
            n = int(query.get("n", "1000"))
            self._send(200, bytes(i % 251 for i in range(n)), {"content-type": "application/octet-stream"})
        elif url.path.startswith("/status/"):
            self._send(int(url.path.rsplit("/", 1)[1]), b'{"code":50505,"message":"busy"}')
        elif url.path == "/redirect":
            self._send(302, b"", {"location": "/echo"})
        elif url.path == "/sse":
            self._sse(int(query.get("n", "3")), query.get("break") == "1", float(query.get("delay", "0")))
        else:
            self._send(404, b'{"error":"no such path"}')

    def _sse(self, n: int, broken: bool, delay: float) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        try:
            for i in range(n):
                self._chunk(f'data: {{"i": {i}}}\n\n'.encode())
                if delay:
                    time.sleep(delay)
            if broken:
                self.close_connection = True
                self.connection.shutdown(2)  # dies mid-body: no terminating chunk
                return
            self._chunk(b"data: [DONE]\n\n")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.server.disconnects += 1
            self.close_connection = True


class LoopbackUpstream(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, Any]] = []
        self.disconnects = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture(scope="session")
def loopback_upstream():
    server = LoopbackUpstream()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
