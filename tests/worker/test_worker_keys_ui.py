"""What the keys page needs from the API, on the Worker (offline harness): the local suite
(tests/integration/test_keys_ui_api.py) unchanged."""

from __future__ import annotations

from integration import test_keys_ui_api as local_suite
from support import rerun

rerun(local_suite, globals())
