"""tdcoord's own grid file: one JSON document holding every table of a :class:`GridModel`.

Floats are written with ``repr`` precision (JSON numbers, ``Infinity`` for unlimited ratings), so a
model round-trips bit for bit. The top-level key ``"tdcoord_grid"`` holds the format version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tdcoord.errors import SourceError, TdcoordError
from tdcoord.grid.components import (
    BranchTable,
    BusTable,
    FeederBranchTable,
    GeneratorTable,
    InterfaceTable,
    LoadTable,
    NodeTable,
    PwlCostTable,
    SgenTable,
    StorageTable,
)
from tdcoord.grid.model import Feeder, GridModel, Transmission
from tdcoord.grid.profiles import Profiles
from tdcoord.grid.serialize import FORMAT_VERSION, to_dict, to_json_text

__all__ = [
    "FORMAT_VERSION",
    "from_dict",
    "is_native",
    "read_grid",
    "to_dict",
    "to_json_text",
    "write_grid",
]


def from_dict(data: dict[str, Any]) -> GridModel:
    """Inverse of :func:`to_dict` (validates everything again)."""
    if data.get("tdcoord_grid") != FORMAT_VERSION:
        raise SourceError(
            f"not a tdcoord grid file of version {FORMAT_VERSION}",
            fix="write it with tdcoord.grid.io.native.write_grid",
        )
    td = data["transmission"]
    transmission = (
        None
        if td is None
        else Transmission(
            name=td["name"],
            base_mva=float(td["base_mva"]),
            buses=BusTable.from_dict(td["buses"]),
            branches=BranchTable.from_dict(td["branches"]),
            generators=GeneratorTable.from_dict(td["generators"]),
            loads=LoadTable.from_dict(td["loads"]),
            pwl_costs=PwlCostTable.from_dict(td["pwl_costs"]),
            storage=StorageTable.from_dict(td["storage"]),
            v_ref_pu=float(td.get("v_ref_pu", 1.0)),
        )
    )
    feeders = tuple(
        Feeder(
            id=fd["id"],
            base_mva=float(fd["base_mva"]),
            v_root_pu=float(fd["v_root_pu"]),
            substation_rating_mva=float(fd["substation_rating_mva"]),
            nodes=NodeTable.from_dict(fd["nodes"]),
            branches=FeederBranchTable.from_dict(fd["branches"]),
            loads=LoadTable.from_dict(fd["loads"]),
            sgens=SgenTable.from_dict(fd["sgens"]),
            root_shunt_p_mw=float(fd.get("root_shunt_p_mw", 0.0)),
            root_shunt_q_mvar=float(fd.get("root_shunt_q_mvar", 0.0)),
        )
        for fd in data["feeders"]
    )
    return GridModel(
        name=data["name"],
        transmission=transmission,
        feeders=feeders,
        interfaces=InterfaceTable.from_dict(data["interfaces"]),
        profiles=None if data.get("profiles") is None else Profiles(**data["profiles"]),
    )


def write_grid(model: GridModel, path: str | Path) -> Path:
    """Write the model to ``path`` (``.json``); the file is written whole or not at all."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(to_json_text(model))
    tmp.replace(path)
    return path


def read_grid(path: str | Path) -> GridModel:
    """Read a file written by :func:`write_grid`; a truncated, malformed or incomplete file is a
    :class:`SourceError` naming the problem (the tables' own checks then run as for any grid)."""
    path = Path(path)
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(
            f"tdcoord grid file {path} is not valid JSON: {exc}",
            fix="write it again with tdcoord.grid.io.native.write_grid",
        ) from exc
    if not isinstance(data, dict):
        raise SourceError(f"tdcoord grid file {path} does not hold an object", fix="check the file")
    try:
        return from_dict(data)
    except TdcoordError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise SourceError(
            f"tdcoord grid file {path} has a missing or malformed field: "
            f"{type(exc).__name__} {exc}",
            fix="write it again with tdcoord.grid.io.native.write_grid (every table needs every "
            "column, all of the same length)",
        ) from exc


def is_native(path: Path) -> bool:
    """True when the JSON file is a tdcoord grid (cheap check of the first bytes)."""
    with path.open("rb") as fh:
        head = fh.read(64)
    return b'"tdcoord_grid"' in head
