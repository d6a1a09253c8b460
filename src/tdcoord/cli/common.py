"""Shared CLI plumbing: one-line errors (tracebacks only with ``--debug``) and JSON output."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

from tdcoord.errors import TdcoordError

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])

_state = {"debug": False}


def set_debug(flag: bool) -> None:
    """Remember the global ``--debug`` flag."""
    _state["debug"] = flag


def run_guarded(fn: Callable[[], Any]) -> Any:
    """Run a command body; print a tdcoord error as one line and exit 1 (2 for bad input)."""
    try:
        return fn()
    except TdcoordError as exc:
        if _state["debug"]:
            raise
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None
    except (FileNotFoundError, PermissionError, OSError) as exc:
        if _state["debug"]:
            raise
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None


def _clean(value: Any) -> Any:
    """Make a value strict-JSON safe: non-finite floats become strings 'inf'/'-inf'/null."""
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return _clean(value.item())
    return value


def print_json(payload: dict[str, Any]) -> None:
    """Write strict JSON (RFC 8259: no NaN/Infinity) to stdout."""
    sys.stdout.write(json.dumps(_clean(payload), indent=2, allow_nan=False) + "\n")


def fmt_value(value: Any) -> str:
    """A JSON value for a table cell: floats to 4 decimals, long series cut after 4 values."""
    if isinstance(value, list):
        head = ", ".join(fmt_value(v) for v in value[:4])
        return "[" + head + (", …]" if len(value) > 4 else "]")
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:.4f}"
    return str(value)
