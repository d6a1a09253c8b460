"""Canonical plain-data form of a grid model (the tdcoord grid file's content, and the basis of
:meth:`~tdcoord.grid.model.GridModel.fingerprint`). Imports no model module, so the model can use
it without an import cycle; :mod:`tdcoord.grid.io.native` reads it back."""

from __future__ import annotations

import json
from typing import Any

FORMAT_VERSION = 1


def to_dict(model: Any) -> dict[str, Any]:
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
        }
        | ({"v_ref_pu": t.v_ref_pu} if t.v_ref_pu != 1.0 else {}),
        "feeders": [_feeder_dict(f) for f in model.feeders],
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


def _feeder_dict(f: Any) -> dict[str, Any]:
    """One feeder; the root shunt only when present (older files stay byte-identical)."""
    out: dict[str, Any] = {
        "id": f.id,
        "base_mva": f.base_mva,
        "v_root_pu": f.v_root_pu,
        "substation_rating_mva": f.substation_rating_mva,
        "nodes": f.nodes.to_dict(),
        "branches": f.branches.to_dict(),
        "loads": f.loads.to_dict(),
        "sgens": f.sgens.to_dict(),
    }
    if f.root_shunt_p_mw or f.root_shunt_q_mvar:
        out["root_shunt_p_mw"] = f.root_shunt_p_mw
        out["root_shunt_q_mvar"] = f.root_shunt_q_mvar
    return out


def to_json_text(model: Any) -> str:
    """Canonical JSON text of the model."""
    return json.dumps(to_dict(model), separators=(",", ":"))
