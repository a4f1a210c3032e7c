"""Fixtures shared by every suite: a real local server on a real SQLite file."""

import pytest

from support import LocalServerProcess


@pytest.fixture(scope="session")
def local_server(tmp_path_factory):
    server = LocalServerProcess(tmp_path_factory.mktemp("local")).start()
    yield server
    server.stop()
