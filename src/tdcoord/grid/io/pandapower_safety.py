"""What a pandapower source may run or import (security review: no code named by input).

* ``pandapower:<name>`` may name only a network-building function of ``pandapower.networks``
  (:data:`NETWORK_FUNCTIONS`, an allowlist checked before pandapower is imported).
* A pandapower JSON file is read as plain JSON first and every ``_module`` / ``_class`` it names
  (nested documents included) must be in :data:`ALLOWED_CLASSES`, before ``pandapower.from_json``
  (which imports the module a file names) sees it.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from tdcoord.errors import SourceError

#: Network builders of ``pandapower.networks`` that take no required argument.
NETWORK_FUNCTIONS: frozenset[str] = frozenset(
    {
        "GBnetwork", "GBreducednetwork", "case118", "case11_iwamoto", "case1354pegase", "case14",
        "case145", "case1888rte", "case24_ieee_rts", "case2848rte", "case2869pegase", "case30",
        "case300", "case3120sp", "case33bw", "case39", "case4gs", "case5", "case57",
        "case6470rte", "case6495rte", "case6515rte", "case6ww", "case89pegase", "case9",
        "case9241pegase", "case_ieee30", "case_illinois200", "create_cigre_network_hv",
        "create_cigre_network_lv", "create_cigre_network_mv", "create_dickert_lv_network",
        "create_kerber_dorfnetz", "create_kerber_landnetz_freileitung_1",
        "create_kerber_landnetz_freileitung_2", "create_kerber_landnetz_kabel_1",
        "create_kerber_landnetz_kabel_2", "create_kerber_vorstadtnetz_kabel_1",
        "create_kerber_vorstadtnetz_kabel_2", "create_synthetic_voltage_control_lv_network",
        "example_multivoltage", "example_simple", "four_loads_with_branches_out", "iceland",
        "ieee_european_lv_asymmetric", "kb_extrem_dorfnetz", "kb_extrem_dorfnetz_trafo",
        "kb_extrem_landnetz_freileitung", "kb_extrem_landnetz_freileitung_trafo",
        "kb_extrem_landnetz_kabel", "kb_extrem_landnetz_kabel_trafo", "kb_extrem_vorstadtnetz_1",
        "kb_extrem_vorstadtnetz_2", "kb_extrem_vorstadtnetz_trafo_1",
        "kb_extrem_vorstadtnetz_trafo_2", "lv_schutterwald", "mv_oberrhein",
        "panda_four_load_branch", "simple_four_bus_system", "simple_mv_open_ring_net",
    }
)  # fmt: skip

#: (module, class) pairs a pandapower JSON file may name.
ALLOWED_CLASSES: frozenset[tuple[str, str]] = frozenset(
    {
        ("pandapower.auxiliary", "pandapowerNet"),
        ("pandas.core.frame", "DataFrame"),
        ("pandas.core.series", "Series"),
        ("pandas.core.indexes.base", "Index"),
        ("pandas.core.indexes.range", "RangeIndex"),
        ("numpy", "ndarray"),
        ("builtins", "dict"),
        ("builtins", "list"),
        ("builtins", "tuple"),
        ("builtins", "set"),
    }
)

#: Nesting depth beyond which a JSON document is refused (guards against crafted files).
MAX_DEPTH = 64


def check_network_function(name: str) -> None:
    """Raise :class:`SourceError` unless ``name`` is an allowed network builder."""
    if name in NETWORK_FUNCTIONS:
        return
    close = difflib.get_close_matches(name, sorted(NETWORK_FUNCTIONS), n=3)
    raise SourceError(
        f"pandapower:{name} is not a network function tdcoord may call",
        where="SOURCE",
        fix=f"did you mean {', '.join(close)}?"
        if close
        else "use a network builder such as pandapower:case33bw (docs/grid.md lists them)",
    )


def _classes(value: Any, depth: int, found: set[tuple[str, str]]) -> None:
    if depth > MAX_DEPTH:
        raise SourceError("pandapower JSON is nested too deeply", fix="check the file")
    if isinstance(value, dict):
        if "_module" in value or "_class" in value:
            found.add((str(value.get("_module")), str(value.get("_class"))))
        for v in value.values():
            _classes(v, depth + 1, found)
    elif isinstance(value, list):
        for v in value:
            _classes(v, depth + 1, found)
    elif isinstance(value, str) and "_module" in value and value.lstrip()[:1] in ("{", "["):
        try:
            inner = json.loads(value)
        except json.JSONDecodeError:
            return
        _classes(inner, depth + 1, found)


def check_pandapower_json(path: Path) -> None:
    """Raise :class:`SourceError` when the file is not JSON or names a disallowed class."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise SourceError(
            f"{path} is not valid JSON: {exc}", fix="give a pandapower or tdcoord JSON file"
        ) from exc
    if not isinstance(data, dict) or data.get("_class") != "pandapowerNet":
        raise SourceError(
            f"{path} is neither a tdcoord grid file nor a pandapower network",
            fix="write it with pandapower.to_json or tdcoord.grid.io.native.write_grid",
        )
    found: set[tuple[str, str]] = set()
    _classes(data, 0, found)
    bad = sorted(found - ALLOWED_CLASSES)
    if bad:
        raise SourceError(
            f"{path} names objects tdcoord does not load: "
            + ", ".join(f"{m}.{c}" for m, c in bad[:5]),
            where=str(path),
            fix="a pandapower network file may hold only the network and its tables "
            "(DataFrames); remove controllers, geometries and other objects",
        )
