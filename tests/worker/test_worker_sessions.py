"""Admin sign-in on the Worker: the local suite (tests/integration/test_sessions_api.py) unchanged."""

from __future__ import annotations

import pytest

from integration import test_sessions_api as local_suite

for _name in dir(local_suite):
    if _name.startswith("test_"):
        globals()[_name] = getattr(local_suite, _name)


@pytest.fixture
def local_server(worker_harness):
    """What the local tests call the server: here, the Worker harness (it has `.url`)."""
    return worker_harness
