"""Moving in from the older projects on the Worker: the local suite
(tests/integration/test_legacy_import.py) unchanged, the parsing done in Pyodide."""

from __future__ import annotations

from integration import test_legacy_import as local_suite
from support import rerun

rerun(local_suite, globals(), skip={"test_the_command_line_import_carries_the_same"})  # local only
