"""The /v1 hardening suite (tests/integration/test_proxy_hardening.py), unchanged,
against the Worker in the offline harness: both shells refuse and bound alike."""

from __future__ import annotations

from integration import test_proxy_hardening as local_suite
from support import rerun

rerun(local_suite, globals())
