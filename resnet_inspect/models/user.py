"""`--model MODULE:CALLABLE` or `--model path/to/file.py:CALLABLE`: the user's own network.

The callable is a function or class returning an nn.Module (called with no arguments),
or an nn.Module attribute itself. Importing the user's file runs their code, as
`python file.py` would; every failure is one line that names the problem and keeps the
cause.

Their code does not own the process (`user_code`): while it runs (the import, the
factory, every forward), what it prints goes to stderr, because stdout carries only our
output (`--json`, `--csv`, `-f png -o -`); a `sys.exit(...)`, `GeneratorExit` or other
BaseException it raises is a runtime failure with its cause (exit 1), never the
command's exit. Ctrl-C (KeyboardInterrupt) stays an
interruption. A warning it raises is a note after the output (`process.model_warned`),
not a multi-line Python warning on stderr.

A `torch.compile`d module is inspected as its original module (what the compiled one
runs, with the same names, without the `_orig_mod.` prefix); a note says so.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.util
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from resnet_inspect.errors import InspectError, ModelError, Terminated, did_you_mean, first_line
from resnet_inspect.process import model_warned, note

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
        return _uncompiled(target, ref), attr
    if not callable(target):
        raise InspectError(f"--model {ref}: {attr} is a {type(target).__name__}, not an "
                           "nn.Module or a callable that returns one")
    try:
        with user_code():
            made = target()
    except (KeyboardInterrupt, Terminated):
        raise
    except BaseException as err:  # the user's code: its cause, in one line
        # an exception is a factory that cannot build the model as called (exit 2); an
        # exit or another BaseException is the model's code ending the run (exit 1)
        kind = InspectError if isinstance(err, Exception) else ModelError
        raise kind(
            f"--model {ref}: calling {attr}() {_raised(err)}; it must build the model with no "
            "arguments and return it"
        ) from err
    if not isinstance(made, nn.Module):
        raise InspectError(f"--model {ref}: {attr}() returned a {type(made).__name__}, "
                           "not an nn.Module")
    made = _uncompiled(made, ref)
    _guard_forward(made)
    return made, type(made).__name__ if isinstance(target, type) else attr


@contextlib.contextmanager
def user_code() -> Iterator[None]:
    """While the user's code runs, its prints go to stderr: Python's (sys.stdout) and a C
    library's or a subprocess's (file descriptor 1) alike; its warnings are kept for
    one-line notes after the output. Our stdout is flushed first and
    put back after, so what we print keeps its order and its stream."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stdout.flush()
    saved = None
    try:
        if sys.__stdout__ is not None and sys.__stdout__.fileno() == 1:
            sys.__stdout__.flush()
            saved = os.dup(1)
            os.dup2(2, 1)
    except (OSError, ValueError, AttributeError):  # no descriptor 1 or 2 (a closed stream)
        saved = None
    try:
        with contextlib.redirect_stdout(sys.stderr), warnings.catch_warnings(record=True) \
                as caught:
            # Python's own defaults (each warning once per place; deprecations hidden), not
            # the caller's: an `error` filter (pytest's) would make a warning a failure
            warnings.simplefilter("default")
            for hidden in _HIDDEN:
                warnings.simplefilter("ignore", hidden)
            try:
                yield
            finally:
                for w in caught:  # a note each, after the output (process.take_notes)
                    model_warned(str(w.message), f"{os.path.basename(w.filename)}:{w.lineno}")
    finally:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            sys.stderr.flush()
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)


_HIDDEN = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


def _uncompiled(model: Any, ref: str) -> Any:
    """The module a `torch.compile`d one wraps (`OptimizedModule._orig_mod`): its layers
    are the model, and tracing through dynamo would only add a compile (seconds) and
    `_orig_mod.` to every row's name."""
    dynamo = sys.modules.get("torch._dynamo.eval_frame")  # imported once anything compiled
    wrapper = getattr(dynamo, "OptimizedModule", None)
    if wrapper is None or not isinstance(model, wrapper):
        return model
    note(f"--model {ref} is a torch.compile'd module: inspecting the original "
         f"{type(model._orig_mod).__name__} it compiles (the same layers and counts)")
    return model._orig_mod


def _guard_forward(model: Any) -> None:
    """The model's forward runs as `user_code`, and an exit it makes is a ModelError."""
    forward = model.forward
    if getattr(forward, "_resnet_inspect_guarded", False):
        return

    @functools.wraps(forward)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if _DEPTH[0]:  # a forward within a forward: already guarded
            return forward(*args, **kwargs)
        _DEPTH[0] += 1
        try:
            with user_code():
                return forward(*args, **kwargs)
        except (Exception, KeyboardInterrupt, Terminated):
            raise
        except BaseException as err:  # SystemExit, GeneratorExit, their own subclasses
            raise ModelError(f"the model's forward {_raised(err)}; a forward must return "
                             "its output") from None
        finally:
            _DEPTH[0] -= 1

    guarded._resnet_inspect_guarded = True  # type: ignore[attr-defined]
    model.forward = guarded


_DEPTH = [0]  # forwards of a guarded model running now


def _raised(err: BaseException) -> str:
    """'called sys.exit(3)' / 'raised Boom (a BaseException): boom', for a message."""
    if isinstance(err, SystemExit):
        return f"ended with sys.exit({err.code!r})"
    kind = "" if isinstance(err, Exception) else " (a BaseException, not an Exception)"
    return f"raised {type(err).__name__}{kind}: {first_line(err, '(no message)')}"





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
                with user_code():
                    spec.loader.exec_module(module)
            finally:
                sys.path.remove(str(path.resolve().parent))
            return module
        if "" not in sys.path and str(Path.cwd()) not in sys.path:
            sys.path.insert(0, str(Path.cwd()))  # as `python -m` would find it
        with user_code():
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
        if isinstance(err, (KeyboardInterrupt, Terminated)):
            raise
        kind = InspectError if isinstance(err, Exception) else ModelError  # as in load_model
        raise kind(f"--model {ref}: importing {source} failed: it {_raised(err)}") from err


