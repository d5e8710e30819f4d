"""One use-case per command, each returning plain data.

<<<<<<< HEAD
`summarize`, `compare`, `check`, `list_presets` and `make_report` do a command's work and
return dataclasses; nothing here parses a flag or prints. The CLI (`cli/`) and the notebook API
=======
`summarize`, `compare`, `check`, `draw` and `list_presets` do a command's work and return
dataclasses; nothing here parses a flag or prints. The CLI (`cli/`) and the notebook API
>>>>>>> wt-draw
(`render/notebook.py`, `resnet_inspect.compare`) are adapters: they parse their inputs,
call one of these and hand the result to a renderer (`render/formats.py`).
"""
