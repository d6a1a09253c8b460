"""tdcoord's own grid file: one JSON document holding every table of a :class:`GridModel`.

Floats are written with ``repr`` precision (JSON numbers, ``Infinity`` for unlimited ratings), so a
model round-trips bit for bit. The top-level key ``"tdcoord_grid"`` holds the format version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tdcoord.errors import SourceError
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

FORMAT_VERSION = 1


def to_dict(model: GridModel) -> dict[str, Any]:
    """The model as plain JSON-able data."""
    t = model.transmission
    return {
        "tdcoord_grid": FORMAT_VERSION,
        "name": model.name,
        "transmission": None
        if t is None
        else {
            "name": t.name,
            "base_mva": t.base_mva,
            "buses": t.buses.to_dict(),
            "branches": t.branches.to_dict(),
            "generators": t.generators.to_dict(),
            "loads": t.loads.to_dict(),
            "pwl_costs": t.pwl_costs.to_dict(),
            "storage": t.storage.to_dict(),
        },
        "feeders": [
            {
                "id": f.id,
                "base_mva": f.base_mva,
                "v_root_pu": f.v_root_pu,
                "substation_rating_mva": f.substation_rating_mva,
                "nodes": f.nodes.to_dict(),
                "branches": f.branches.to_dict(),
                "loads": f.loads.to_dict(),
                "sgens": f.sgens.to_dict(),
            }
            for f in model.feeders
        ],
        "interfaces": model.interfaces.to_dict(),
        "profiles": None
        if model.profiles is None
        else {
            "time": model.profiles.time.tolist(),
            "names": model.profiles.names.tolist(),
            "p_factor": model.profiles.p_factor.tolist(),
            "q_factor": model.profiles.q_factor.tolist(),
        },
    }


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


def to_json_text(model: GridModel) -> str:
    """Canonical JSON text of the model."""
    return json.dumps(to_dict(model), separators=(",", ":"))


def write_grid(model: GridModel, path: str | Path) -> Path:
    """Write the model to ``path`` (``.json``); the file is written whole or not at all."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(to_json_text(model))
    tmp.replace(path)
    return path


def read_grid(path: str | Path) -> GridModel:
    """Read a file written by :func:`write_grid`."""
    return from_dict(json.loads(Path(path).read_text()))


def is_native(path: Path) -> bool:
    """True when the JSON file is a tdcoord grid (cheap check of the first bytes)."""
    with path.open("rb") as fh:
        head = fh.read(64)
    return b'"tdcoord_grid"' in head
