"""The request log's API on the Worker (offline harness, Miniflare's D1): the local suite
(tests/integration/test_logs_api.py) unchanged."""

from __future__ import annotations

from integration import test_logs_api as local_suite
from integration.test_logs_api import logged  # noqa: F401  (the suite's fixture)
from integration.stats_support import write  # noqa: F401
from support import rerun

rerun(local_suite, globals())
