"""The local proxy suite (tests/integration/test_proxy.py), unchanged, against
the Worker in the offline harness: the /v1 behaviour must be the same in both
runtimes, so the same tests run on both. Tests that open the local SQLite file
directly are left out."""

from __future__ import annotations

import pytest

from integration import test_proxy as local_suite

# Reads the local server's SQLite file, which the Worker does not have.
LOCAL_ONLY = {"test_client_key_is_shown_once_and_stored_hashed"}

for _name in dir(local_suite):
    if _name.startswith("test_") and _name not in LOCAL_ONLY:
        globals()[_name] = getattr(local_suite, _name)


@pytest.fixture
def local_server(worker_harness):
    """What the local tests call the server: here, the Worker harness (it has `.url`)."""
    return worker_harness
