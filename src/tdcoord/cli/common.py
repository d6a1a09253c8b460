"""Shared CLI plumbing: one-line errors (tracebacks only with ``--debug``) and JSON output.

Every exception ends as a one-line message and exit code 2 (:func:`run_guarded`):

* a :class:`~tdcoord.errors.TdcoordError` (bad input, named family): its message, every problem
  listed;
* an ``OSError`` (a file that cannot be read or written): its message;
* SIGINT / SIGTERM (:class:`KeyboardInterrupt`, :class:`~tdcoord.errors.InterruptedRunError`): "run
  interrupted";
* ``MemoryError``: "ran out of memory";
* anything else: "internal error", with the path of a crash report holding the traceback
  (folder ``$TDCOORD_CRASH_DIR``, default the system temporary folder). ``--debug`` re-raises
  every exception with its traceback instead.
"""

from __future__ import annotations

import datetime
import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from tdcoord.errors import InterruptedRunError, TdcoordError
from tdcoord.json_output import dumps


class LazyConsole:
    """A ``rich.console.Console`` created on first use (keeps ``tdcoord --version`` fast)."""

    def __init__(self, *, stderr: bool = False) -> None:
        self._stderr = stderr
        self._console: Any = None

    def real(self) -> Any:
        """The underlying rich Console (created now if needed)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            setattr(self.real(), name, value)


console: Any = LazyConsole()
err_console: Any = LazyConsole(stderr=True)

_state = {"debug": False}


def set_debug(flag: bool) -> None:
    """Remember the global ``--debug`` flag."""
    _state["debug"] = flag


def _warning_line(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    err_console.print(
        "[yellow]warning:[/] " + _escape(str(message)), highlight=False, soft_wrap=True
    )


def show_warnings_as_lines() -> None:
    """Print Python warnings (data repairs, plausibility notes) as one ``warning:`` line each,
    without source lines (with ``--debug``: Python's own format)."""
    import warnings

    if not _state["debug"]:
        warnings.showwarning = _warning_line


def debug_enabled() -> bool:
    """The global ``--debug`` flag."""
    return _state["debug"]


def _say(text: str) -> None:
    err_console.print("[bold red]error:[/] " + _escape(text), highlight=False, soft_wrap=True)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def write_crash_report(exc: BaseException) -> Path:
    """Write the traceback of ``exc`` to a new file; returns its path."""
    folder = Path(os.environ.get("TDCOORD_CRASH_DIR") or tempfile.gettempdir())
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    fd, name = tempfile.mkstemp(prefix=f"tdcoord-crash-{stamp}-", suffix=".txt", dir=folder)
    with os.fdopen(fd, "w") as fh:
        fh.write(f"tdcoord crash report\nargv: {sys.argv}\n\n")
        fh.write("".join(traceback.format_exception(exc)))
    return Path(name)


def _message(exc: BaseException) -> str:
    if isinstance(exc, TdcoordError):
        return str(exc)
    if isinstance(exc, KeyboardInterrupt):
        return str(InterruptedRunError("run interrupted (SIGINT)", fix="rerun the command"))
    if isinstance(exc, OSError):
        return f"{exc}"
    if isinstance(exc, MemoryError):
        return "ran out of memory. Fix: use a smaller study (fewer intervals, feeders or copies)"
    try:
        report = str(write_crash_report(exc))
    except OSError:
        report = "(could not be written)"
    return (
        f"internal error {type(exc).__name__}: {str(exc)[:200]}. A crash report with the "
        f"traceback is at {report}; rerun with --debug to see it here"
    )


def run_guarded(fn: Callable[[], Any]) -> Any:
    """Run a command body; print any error as one line and exit 2 (see module doc)."""
    try:
        return fn()
    except (typer.Exit, typer.Abort, SystemExit):
        raise
    except BaseException as exc:  # the one place every error is mapped
        if _state["debug"]:
            raise
        _say(_message(exc))
        raise typer.Exit(code=2) from None


def print_json(payload: Any) -> None:
    """Write strict JSON (RFC 8259: no NaN/Infinity; rule in :mod:`tdcoord.json_output`)."""
    sys.stdout.write(dumps(payload) + "\n")


def fmt_value(value: Any) -> str:
    """A JSON value for a table cell: floats to 4 decimals, long series cut after 4 values."""
    if isinstance(value, list):
        head = ", ".join(fmt_value(v) for v in value[:4])
        return "[" + head + (", …]" if len(value) > 4 else "]")
    if isinstance(value, float) and value == value and abs(value) != float("inf"):
        return f"{value:.4f}"
    return str(value)
