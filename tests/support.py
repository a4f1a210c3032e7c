"""Helpers shared by the suites: a real local server process, clients, ports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
ADMIN_TOKEN = "test-admin-token"
ADMIN_PASSWORD = "test-admin-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(url: str, process: subprocess.Popen, log_path: Path, timeout: float = 30,
                       request_timeout: float = 1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=request_timeout).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"server not healthy after {timeout}s:\n{log_path.read_text()}")


def terminate(process: subprocess.Popen, grace: float = 10) -> None:
    """SIGTERM, then SIGKILL if it is still running after `grace` seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class LocalServerProcess:
    """`python -m keypool serve` in a subprocess, as a user starts it."""

    def __init__(self, folder: Path, env: dict[str, str] | None = None):
        self.folder = folder
        self.db_path = folder / "pool.sqlite3"
        self.log_path = folder / "server.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "ADMIN_TOKEN": ADMIN_TOKEN, "ADMIN_PASSWORD": ADMIN_PASSWORD,
                    "PYTHONPATH": str(ROOT / "src"), **(env or {})}
        self.process: subprocess.Popen | None = None

    def start(self) -> "LocalServerProcess":
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "keypool", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--db", str(self.db_path)],
            env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=self.folder,
        )
        wait_until_healthy(self.url, self.process, self.log_path)
        return self

    def stop(self) -> None:
        if self.process:
            terminate(self.process)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def admin_client(base_url: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, headers={"authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=120)


def make_key(tag: str) -> str:
    """A well-formed upstream key whose text says what it is for (letters and digits only)."""
    body = "".join(ch for ch in tag if ch.isalnum())
    return "sk-" + (body + "x" * 48)[:48]


def start_fake_process(*args: str) -> tuple[subprocess.Popen, str]:
    """The fake SiliconFlow in its own process (benchmarks): (process, base URL)."""
    process = subprocess.Popen([sys.executable, str(ROOT / "tests/fakes/siliconflow.py"), "--port", "0", *args],
                               stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    if not line.startswith("READY"):
        process.kill()
        raise RuntimeError(f"fake SiliconFlow did not start: {line!r}")
    return process, f"http://127.0.0.1:{line.split()[1]}"


def rerun(suite: Any, into: dict[str, Any], skip: set[str] = frozenset()) -> None:
    """Collect a local suite's tests, unchanged, into a Worker test module
    (whose `local_server` is the Worker harness): both runtimes must answer alike."""
    for name in dir(suite):
        if name.startswith("test_") and name not in skip:
            into[name] = getattr(suite, name)
