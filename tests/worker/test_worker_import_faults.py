"""Concurrent overlapping imports on the Worker (tests/integration/test_import_faults.py);
the SIGKILL test is the local server's own (a Worker invocation has no process to kill)."""

from __future__ import annotations

from integration import test_import_faults as local_suite
from support import rerun

rerun(local_suite, globals(), skip={"test_sigkill_in_the_middle_of_a_big_import_leaves_every_key_fully_in_or_out"})
