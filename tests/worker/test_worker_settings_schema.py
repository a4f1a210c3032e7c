"""The settings schema on the Worker: the local suite (tests/integration/test_settings_schema.py) unchanged."""

from __future__ import annotations

from integration import test_settings_schema as local_suite
from support import rerun

rerun(local_suite, globals())
