"""The authorization matrix on the Worker (tests/integration/test_auth_matrix.py),
on the shared harness: each request's address is its CF-Connecting-IP."""

from __future__ import annotations

import pytest

from integration import test_auth_matrix as local_suite
from support import admin_client, rerun

rerun(local_suite, globals())


@pytest.fixture
def matrix_server(worker_harness):
    yield worker_harness
    with admin_client(worker_harness.url) as api:  # the shared harness goes on private for the other tests
        api.put("/api/settings", json={"access_mode": "private", "visitor_copy": False, "client_side_checking": False})
        api.put("/api/guest-password", json={"password": None})
