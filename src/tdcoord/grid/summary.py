"""Summaries of a grid for ``tdcoord grid info`` and ``tdcoord grid check`` (JSON keys)."""

from __future__ import annotations

from typing import Any

from tdcoord.grid.model import GridModel
from tdcoord.grid.validate import ValidationResult


def grid_info(model: GridModel) -> dict[str, Any]:
    """Counts and totals. Keys: ``name``, ``kind``, ``buses``, ``branches``, ``generators``,
    ``loads``, ``load_mw``, ``generation_capacity_mw``, ``static_generation_mw``, ``feeders``,
    ``feeder_nodes``, ``feeder_branches``, ``interfaces``, ``interface_rating_mva``,
    ``profiles``."""
    t = model.transmission
    load_t = float(t.loads.p_mw.sum()) if t is not None else 0.0
    load_f = sum(float(f.loads.p_mw.sum()) for f in model.feeders)
    return {
        "name": model.name,
        "kind": model.kind,
        "buses": 0 if t is None else t.n_bus,
        "branches": 0 if t is None else len(t.branches),
        "generators": 0 if t is None else len(t.generators),
        "loads": (0 if t is None else len(t.loads)) + sum(len(f.loads) for f in model.feeders),
        "load_mw": load_t + load_f,
        "generation_capacity_mw": 0.0 if t is None else float(t.generators.p_max_mw.sum()),
        "static_generation_mw": sum(float(f.sgens.p_mw.sum()) for f in model.feeders),
        "feeders": len(model.feeders),
        "feeder_nodes": sum(f.n_node for f in model.feeders),
        "feeder_branches": sum(len(f.branches) for f in model.feeders),
        "interfaces": len(model.interfaces),
        "interface_rating_mva": float(model.interfaces.rating_mva.sum()),
        "profiles": 0 if model.profiles is None else len(model.profiles.names),
    }


def grid_check(model: GridModel, result: ValidationResult) -> dict[str, Any]:
    """Validation summary. Keys: everything of :func:`grid_info` plus ``converged``,
    ``losses_mw``, ``v_min_pu``, ``v_max_pu``, ``violations`` (list of objects with ``network``,
    ``kind``, ``element``, ``value``, ``limit``) and ``n_violations``."""
    out = grid_info(model)
    converged = all(f.converged for f in result.feeders) and not any(
        v.kind == "not_converged" for v in result.violations
    )
    out.update(
        {
            "converged": converged,
            "losses_mw": result.losses_mw,
            "v_min_pu": result.v_min_pu,
            "v_max_pu": result.v_max_pu,
            "n_violations": len(result.violations),
            "violations": [v.to_dict() for v in result.violations],
        }
    )
    return out
