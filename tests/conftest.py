"""Fixtures shared by every suite: a fake SiliconFlow on loopback and a real
local server on a real SQLite file, pointed at it."""

import pytest

from fakes.siliconflow import FakeSiliconFlow
from support import LocalServerProcess


@pytest.fixture(scope="session")
def fake_siliconflow():
    with FakeSiliconFlow.running() as fake:
        yield fake


@pytest.fixture
def fake(fake_siliconflow):
    """The fake upstream with every key healthy and no calls counted."""
    fake_siliconflow.reset()
    yield fake_siliconflow


@pytest.fixture(scope="session")
def local_server(tmp_path_factory, fake_siliconflow):
    server = LocalServerProcess(tmp_path_factory.mktemp("local"),
                                env={"UPSTREAM_BASE_URL": fake_siliconflow.url}).start()
    yield server
    server.stop()
