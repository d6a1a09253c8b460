"""The one JSON writer of every tdcoord output (CLI ``--json``, ``kpis.json``, ``grid_info.json``,
``grid_check.json``, report data).

Rule (strict JSON, RFC 8259, which has no NaN or Infinity): **a non-finite float (NaN, +inf,
-inf) is written as ``null``**, and when the document is an object the JSON paths of those
values are listed, sorted, under the top-level key ``"_nonfinite"`` (e.g.
``["interfaces.f1.rating_mva"]``), so a reader can tell "unlimited" from "missing" by looking
there. numpy scalars become Python numbers, tuples become lists, keys become strings.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

NONFINITE_KEY = "_nonfinite"


def _clean(value: Any, path: str, found: list[str]) -> Any:
    if isinstance(value, dict):
        return {
            str(k): _clean(v, f"{path}.{k}" if path else str(k), found) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_clean(v, f"{path}[{i}]", found) for i, v in enumerate(value)]
    if isinstance(value, bool | str | int) or value is None:
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        found.append(path)
        return None
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return _clean(value.item(), path, found)
    return value


def json_safe(value: Any) -> Any:
    """``value`` as strict-JSON data under the rule of the module doc."""
    found: list[str] = []
    clean = _clean(value, "", found)
    if found and isinstance(clean, dict):
        clean[NONFINITE_KEY] = sorted(found)
    return clean


def dumps(value: Any, *, indent: int | None = 2) -> str:
    """Strict JSON text of ``value`` (non-finite floats → ``null``, listed in ``_nonfinite``)."""
    return json.dumps(json_safe(value), indent=indent, allow_nan=False)


def write_json(path: str | Path, value: Any) -> Path:
    """Write ``value`` as strict JSON (indent 2) to ``path``; returns the path."""
    path = Path(path)
    path.write_text(dumps(value))
    return path
