"""One use-case per command, each returning plain data.

`summarize`, `compare`, `check`, `draw`, `list_presets` and `make_report` do a command's
work and return dataclasses; nothing here parses a flag or prints. The CLI (`cli/`) and the
notebook API (`render/notebook.py`, `resnet_inspect.compare`) are adapters: they parse their
inputs, call one of these and hand the result to a renderer (`render/formats.py`).
"""
