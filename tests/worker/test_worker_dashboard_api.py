"""The dashboard's API on the Worker (offline harness, Miniflare's D1): the local suite
(tests/integration/test_dashboard_api.py) unchanged."""

from __future__ import annotations

from integration import test_dashboard_api as local_suite
from integration.test_dashboard_api import pool, requests_logged  # noqa: F401  (the suite's fixtures)
from integration.stats_support import write  # noqa: F401
from support import rerun

rerun(local_suite, globals())
