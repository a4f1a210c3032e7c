"""Admin sign-in on the Worker: the local suite (tests/integration/test_sessions_api.py) unchanged."""

from __future__ import annotations

from integration import test_sessions_api as local_suite
from support import rerun

rerun(local_suite, globals())
