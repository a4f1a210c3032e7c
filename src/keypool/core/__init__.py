"""Pure decisions: stdlib only, no I/O, time passed in."""
