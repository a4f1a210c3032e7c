"""The API fuzzing of tests/integration/test_fuzz_api.py on the Worker, with fewer
examples per route (each request crosses Node, Pyodide and Miniflare's D1)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from integration.test_fuzz_api import ROUTES, bodies, fuzz_one, path_ids, queries


@pytest.fixture(scope="module")
def fuzzed_worker(worker_harness):
    before = len(worker_harness.log())
    yield worker_harness
    assert "Traceback" not in worker_harness.log()[before:], worker_harness.log()[before:][-3000:]


@pytest.mark.parametrize("method, pattern", ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow])
@given(body=bodies, query=queries, path_id=path_ids)
def test_no_body_query_or_id_makes_a_500(fuzzed_worker, method, pattern, body, query, path_id):
    fuzz_one(fuzzed_worker.url, method, pattern, body, query, path_id)
