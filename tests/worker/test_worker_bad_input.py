"""Bad input on the Worker: the local suite (tests/integration/test_bad_input.py) unchanged."""

from __future__ import annotations

from integration import test_bad_input as local_suite
from support import rerun

rerun(local_suite, globals())
