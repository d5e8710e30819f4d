"""`--model MODULE:CALLABLE` or `--model path/to/file.py:CALLABLE`: the user's own network.

The callable is a function or class returning an nn.Module (called with no arguments),
or an nn.Module attribute itself. Importing the user's file runs their code, as
`python file.py` would; every failure is one line that names the problem and keeps the
cause.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from resnet_inspect.errors import InspectError, did_you_mean

EXAMPLE = "e.g. --model mymodels.py:make_net or --model mypackage.models:Net"


def load_model(ref: str) -> tuple[Any, str]:
    """The nn.Module named by `ref`, and a name for reports (the callable's)."""
    from torch import nn

    source, sep, attr = ref.rpartition(":")
    if not sep or not source or not attr:
        raise InspectError(f"--model {ref!r}: expected MODULE:CALLABLE or FILE.py:CALLABLE, "
                           f"{EXAMPLE}")
    module = _import(source, ref)
    target: Any = module
    for part in attr.split("."):
        if not hasattr(target, part):
            names = [n for n in dir(module) if not n.startswith("_")]
            raise InspectError(
                f"--model {ref}: {source} has no attribute {part!r}"
                f"{did_you_mean(part, names)}; name a function or class that returns an "
                "nn.Module, or an nn.Module"
            )
        target = getattr(target, part)
    if isinstance(target, nn.Module):
        return target, attr
    if not callable(target):
        raise InspectError(f"--model {ref}: {attr} is a {type(target).__name__}, not an "
                           "nn.Module or a callable that returns one")
    try:
        made = target()
    except Exception as err:  # the user's code: keep its cause, in one line
        raise InspectError(
            f"--model {ref}: calling {attr}() raised {type(err).__name__}: {_first_line(err)}; "
            "it must build the model with no arguments"
        ) from err
    if not isinstance(made, nn.Module):
        raise InspectError(f"--model {ref}: {attr}() returned a {type(made).__name__}, "
                           "not an nn.Module")
    return made, type(made).__name__ if isinstance(target, type) else attr


def _import(source: str, ref: str) -> ModuleType:
    path = Path(source)
    is_file = source.endswith(".py") or "/" in source or "\\" in source
    try:
        if is_file:
            if not path.is_file():
                raise InspectError(f"--model {ref}: no such file {source}; give the path to "
                                   f"a Python file, {EXAMPLE}")
            name = f"_resnet_inspect_user_{abs(hash(path.resolve()))}"
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None:
                raise InspectError(f"--model {ref}: {source} cannot be imported as Python")
            module = importlib.util.module_from_spec(spec)
            sys.path.insert(0, str(path.resolve().parent))  # its sibling modules import too
            try:
                sys.modules[name] = module
                spec.loader.exec_module(module)
            finally:
                sys.path.remove(str(path.resolve().parent))
            return module
        if "" not in sys.path and str(Path.cwd()) not in sys.path:
            sys.path.insert(0, str(Path.cwd()))  # as `python -m` would find it
        return importlib.import_module(source)
    except InspectError:
        raise
    except ModuleNotFoundError as err:
        if is_file or err.name != source.split(".")[0]:
            raise InspectError(f"--model {ref}: importing {source} failed: No module named "
                               f"{err.name!r}; install it, or check the import") from err
        raise InspectError(f"--model {ref}: no module named {source!r}; run from the folder "
                           f"that holds it, or give a file path, {EXAMPLE}") from err
    except BaseException as err:  # SyntaxError, an exception at import, even SystemExit
        if isinstance(err, KeyboardInterrupt):
            raise
        raise InspectError(f"--model {ref}: importing {source} failed: "
                           f"{type(err).__name__}: {_first_line(err)}") from err


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else "(no message)"
