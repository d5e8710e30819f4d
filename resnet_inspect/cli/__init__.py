"""Command-line entry point: `resnet-inspect` and `python -m resnet_inspect`.

Errors a user can fix (InspectError, bad option values) become one line on stderr and exit
code 2; a runtime failure (RunFailure: a write that failed, too little memory) is one line
with its real cause and exit code 1; anything else is a bug and exits 1 with a one-line
summary (set RESNET_INSPECT_DEBUG=1 for the traceback). A reader that closes the pipe early
(`resnet-inspect list | head -1`) ends the run quietly with exit code 0.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import re
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

import typer

from resnet_inspect.cli.app import app
from resnet_inspect.errors import InspectError, ModelError, RunFailure, Terminated, first_line

# command name -> the module whose import registers it on `app`
_COMMANDS = {"check": "check", "compare": "compare", "diagram": "diagram", "list": "list_cmd",
             "report": "report_cmd", "summary": "summary"}


def _register_commands(args: list[str]) -> None:
    """Import the command modules, which registers their commands on `app` (cheap: no
    torch). A run of one command needs only its own (the others' imports, compare's
    renderers among them, cost ~10 ms); help, a typo or no command gets them all."""
    first = args[0] if args else None  # `--help summary` lists every command
    names = [_COMMANDS[first]] if first in _COMMANDS else list(_COMMANDS.values())
    for name in names:
        importlib.import_module(f"resnet_inspect.cli.{name}")


def _quiet_collector() -> None:
    """Keep the cyclic garbage collector out of a one-shot command's way.

    A command imports torch (~170k objects) and then allocates a lot: the collector ran
    ~400 times over those objects (0.2-0.5 s, more than the analysis) and the first
    render paid a full pass. A command is one short process, and the tracer makes no
    garbage cycles worth collecting, so automatic collection is off for the command;
    gc.collect() still works. Inside another program (tests, a notebook calling main())
    the caller's setting is put back by `main`.
    """
    gc.disable()


@contextlib.contextmanager
def _signals_as_exceptions() -> Iterator[None]:
    """SIGTERM and SIGHUP raise `Terminated` while a command runs, so that it ends as
    Ctrl-C does: temporary files removed, an older output left as it was, one line on
    stderr and exit 128 + the signal (143 for SIGTERM). Python's own handlers are put back
    after (a program calling main() keeps its own); only the main thread can set them."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise Terminated(signum, signal.Signals(signum).name)

    saved = {}
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is None:
            continue
        with contextlib.suppress(OSError, ValueError):
            saved[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in saved.items():
            with contextlib.suppress(OSError, ValueError, TypeError):
                signal.signal(sig, old)


def main(argv: list[str] | None = None) -> None:
    """Run one command in this Python (arguments from sys.argv when `argv` is None); it
    ends with SystemExit, as a click program does. `run` is the console script's."""
    was_enabled = gc.isenabled()
    _quiet_collector()
    try:
        with _signals_as_exceptions():
            _collecting(argv)
    finally:
        if argv is None:
            # the process is probably about to exit: interpreter shutdown runs one full
            # collection over every object left (torch's included, ~0.3 s); frozen
            # objects are skipped, and nothing here needs finalising by the collector
            gc.freeze()
        elif was_enabled:
            gc.enable()


def run() -> None:
    """The entry point of `resnet-inspect` and `python -m resnet_inspect`: the command is
    the whole process, so it ends the process at once when the command is done.

    Python's own exit would free every object one by one and run a last full collection
    over torch's ~170k objects (`gc.freeze` spares the collection: os._exit saves another
    0.13 s of a ResNet-152 summary, benchmarks/README.md, issue 26). The command's outputs
    are written and closed (atomically) by then, stdout and stderr are flushed here, and
    the exit status and any exit message are the command's. Under a profiler, a tracer
    (coverage) or `python -i`, which report or go on after the program, it exits as Python
    does.
    """
    monitoring = getattr(sys, "monitoring", None)  # Python 3.12+: coverage's sysmon core
    watched = monitoring is not None and any(monitoring.get_tool(i) for i in range(6))
    if sys.flags.inspect or sys.gettrace() is not None or sys.getprofile() is not None \
            or watched:
        main()
        return

    gc.disable()  # as `main` does: see _quiet_collector
    code = 0
    try:
        with _signals_as_exceptions():
            _collecting(None)
    except SystemExit as done:
        if isinstance(done.code, int) or done.code is None:
            code = done.code or 0
        else:  # sys.exit("message"), from a --model file: Python prints it and exits 1
            code = 1
            with contextlib.suppress(AttributeError, OSError, ValueError):
                print(done.code, file=sys.stderr)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, OSError, ValueError):  # None when closed
            stream.flush()
    os._exit(code)


def _collecting(argv: list[str] | None) -> None:
    from resnet_inspect.process import collecting_notes

    with collecting_notes():  # said as note: lines after the output, not as warnings
        _main(argv)


def _main(argv: list[str] | None) -> None:
    """Run the command `argv` names (the process's arguments when None); every failure is
    one line on stderr and an exit status (`_run_command`), and the notes follow a
    successful run's output (`_finish`)."""
    from resnet_inspect.private import click_exceptions
    from resnet_inspect.process import prepare_streams

    prepare_streams()
    args = sys.argv[1:] if argv is None else argv
    _register_commands(args)
    click = click_exceptions()
    command = typer.main.get_command(app)
    code = _run_command(command, args, click)
    if code == 130:  # typer's Exit(130) for a KeyboardInterrupt (Ctrl-C) in a command
        _fail("interrupted", 130)
    _finish(code)


def _run_command(command: Any, args: list[str], click: Any) -> Any:
    """The command's return code; each kind of failure it raises becomes one line on
    stderr and its exit status (2 for the user's input, 1 for the rest)."""
    try:
        return command.main(args, prog_name="resnet-inspect", standalone_mode=False)
    except BrokenPipeError:
        _quiet_broken_pipe()
    except SystemExit as done:
        if isinstance(done.__context__, BrokenPipeError):  # typer's own EPIPE exit, code 1
            _quiet_broken_pipe()
        raise
    except InspectError as err:
        _fail(str(err), 2)
    except (RunFailure, ModelError) as err:  # the real cause, in one line, exit 1
        _fail(str(err), 1)
    except typer.Exit as err:
        sys.exit(err.exit_code)
    except click.UsageError as err:
        _usage_error(err, click)
    except click.ClickException as err:
        _fail(err.format_message(), err.exit_code)
    except typer.Abort:
        _fail("aborted", 1)
    except KeyboardInterrupt:  # typer turns one in a command into Exit(130): see _main
        _fail("interrupted", 130)
    except Terminated as err:
        _fail(f"terminated by {err.name}", 128 + err.signum)
    except MemoryError:
        _fail("out of memory; use --device meta (counts without allocating) or a smaller "
              "--batch or --input", 1)
    except OSError as err:  # the system refused something (a read, a write, a device)
        if os.environ.get("RESNET_INSPECT_DEBUG"):
            raise
        _os_error(err)
    except Exception as err:  # a bug or a runtime failure, not the user's input
        if os.environ.get("RESNET_INSPECT_DEBUG"):
            raise
        _fail(f"{type(err).__name__}: {first_line(err, limit=300)} (set RESNET_INSPECT_DEBUG=1 "
              "for the traceback)", 1)
    return None  # not reached: each clause above exits or raises


def _usage_error(err: Any, click: Any) -> None:
    """A usage error in one line with a pointer to the command's --help; `resnet-inspect`
    alone shows the help."""
    no_args = getattr(click, "NoArgsIsHelpError", None)
    if no_args is not None and isinstance(err, no_args) and err.ctx is not None:
        # `resnet-inspect` alone: show the help, as `--help` would, and exit 2 (usage)
        print(err.ctx.get_help())
        sys.exit(2)
    hint = ""
    if err.ctx is not None:
        hint = f"; see '{err.ctx.command_path} --help'"
    # typer 0.2x validates choices through pydantic, which prefixes "Value error, "
    message = err.format_message().replace("Value error, ", "").rstrip(".")
    ours = _OUR_PARSER.match(message)
    if ours:  # our own parser's message (options.int_parser) names the flag and a fix
        _fail(ours.group(1), 2)
    _fail(f"{message}{hint}", 2)


def _os_error(err: OSError) -> None:
    """The system refused a read, a write or a device: one line naming the file, or stdout."""
    from resnet_inspect.process import STDOUT_WRITE_ERRORS

    if not err.filename and err.errno in STDOUT_WRITE_ERRORS:  # print()'s, rich's
        _fail(_stdout_failed(err), 1)
    where = f" {err.filename}" if err.filename else ""
    _fail(f"cannot access{where}: {err.strerror or err}", 1)


def _finish(code: Any) -> None:
    """Flush the output, then the notes (stderr, only when the command succeeded), and exit
    with the command's code."""
    from resnet_inspect.process import take_notes

    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_broken_pipe()
    except OSError as err:  # `> /dev/full`: the last of the output did not fit
        _fail(_stdout_failed(err), 1)
    notes = take_notes()  # after the output, on stderr, only when the command succeeded
    if notes and not code:
        with contextlib.suppress(OSError):
            print("\n".join(notes), file=sys.stderr)
            sys.stderr.flush()
    sys.exit(code if isinstance(code, int) else 0)


def _stdout_failed(err: OSError) -> str:
    return f"cannot write to stdout: {err.strerror or err}"


# "Invalid value for '--batch' / '-b': --batch '٣' is not ...": click's prefix on a
# message that already names the flag and the fix
_OUR_PARSER = re.compile(r"Invalid value for [^:]*: (--[\w-]+ .*)$", re.DOTALL)


def _quiet_broken_pipe() -> None:
    """The reader has all it wanted: stop writing, without an error and without Python's
    'Exception ignored ... BrokenPipeError' when it flushes stdout at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    sys.exit(0)


def _fail(message: str, code: int) -> None:
    first = " ".join(message.split())  # one line, whatever the message held
    if len(first) > 1000:  # a message quoting a huge value (a billion-laughs config ...)
        first = first[:997] + "..."
    with contextlib.suppress(OSError, ValueError, AttributeError):  # a full or closed stdout
        sys.stdout.flush()
    with contextlib.suppress(OSError, ValueError, AttributeError):  # nowhere to say it
        print(f"resnet-inspect: error: {first}", file=sys.stderr)
        sys.stderr.flush()
    sys.exit(code)
