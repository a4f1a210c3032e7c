"""Fixtures of the balance-check suites: per module, a fake SiliconFlow behind a
faulty front and a local server of its own that checks through it."""

from __future__ import annotations

import pytest

from fakes.siliconflow import FakeSiliconFlow
from integration.balance_support import BASE_SETTINGS, FaultyFront, wait_job
from support import LocalServerProcess, admin_client


@pytest.fixture(scope="module")
def upstream():
    """(fake SiliconFlow, faulty front before it), for this module alone."""
    with FakeSiliconFlow.running() as fake:
        front = FaultyFront(fake.url).start()
        try:
            yield fake, front
        finally:
            front.stop()


@pytest.fixture(scope="module")
def sf(upstream):
    return upstream[0]


@pytest.fixture(scope="module")
def front(upstream):
    return upstream[1]


@pytest.fixture(scope="module")
def checker(tmp_path_factory, front):
    """A local server of this module's own, checking through the faulty front; no periodic tick."""
    server = LocalServerProcess(tmp_path_factory.mktemp("balance"), env={
        "UPSTREAM_BASE_URL": front.url, "KEYPOOL_TICK_SECONDS": "86400",
        "ALLOW_PRIVATE_WEBHOOKS": "1"}).start()  # the alert tests' webhook listens on loopback
    yield server
    server.stop()


@pytest.fixture
def api(checker, sf, front):
    """An admin client on an empty pool, fresh upstream; stops any job left running."""
    sf.reset()
    front.reset()
    with admin_client(checker.url) as client:
        assert client.post("/api/keys/delete", json={"all": True}).status_code == 200
        response = client.put("/api/settings", json=BASE_SETTINGS)
        assert response.status_code == 200, response.text
        assert client.post("/api/jobs/tick").status_code == 200  # no thresholds: re-arms every alert
        yield client
        for job in client.get("/api/jobs").json()["items"]:
            if job["state"] == "running":
                client.post(f"/api/jobs/{job['id']}/stop")
            wait_job(client, job["id"])


