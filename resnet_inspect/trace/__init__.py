"""One forward pass (or training step) -> Report. tracer.py is the generic tracer; run.py
is `inspect` (a name, spec or module -> Report)."""
