"""Access modes on the Worker: the local suite (tests/integration/test_access_modes.py) unchanged."""

from __future__ import annotations

from integration import test_access_modes as local_suite
from integration.test_access_modes import pool  # noqa: F401  (the suite's fixture)
from support import rerun

rerun(local_suite, globals())
