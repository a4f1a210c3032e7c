"""The audit trail on the Worker: the local suite (tests/integration/test_audit.py) unchanged."""

from __future__ import annotations

from integration import test_audit as local_suite
from support import rerun

rerun(local_suite, globals())
