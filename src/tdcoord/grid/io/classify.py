"""Decide whether converted tables are a transmission network or a single radial feeder.

Rule (issue 2): a radial network with one supply point loads as a single feeder, anything else as
transmission. Radial = connected with exactly n − 1 in-service branches; one supply point = one
reference bus and no dispatchable generator elsewhere.
"""

from __future__ import annotations

import numpy as np

from tdcoord.errors import GridError
from tdcoord.grid import checks
from tdcoord.grid.components import FeederBranchTable, LoadTable, NodeTable, SgenTable
from tdcoord.grid.io.ppc import PpcTables
from tdcoord.grid.model import Feeder, GridModel, Transmission, make_feeder


def is_radial_single_supply(tables: PpcTables) -> bool:
    """True for a connected tree with one reference bus and generators only there."""
    n = len(tables.buses)
    br = tables.branches
    if len(br) != n - 1 or int(tables.buses.is_reference.sum()) != 1:
        return False
    ref = tables.buses.id[tables.buses.is_reference][0]
    if np.any(tables.generators.bus != ref):
        return False
    order = np.argsort(tables.buses.id)
    a = order[np.searchsorted(tables.buses.id, br.from_bus, sorter=order)]
    b = order[np.searchsorted(tables.buses.id, br.to_bus, sorter=order)]
    count, _ = checks.components(n, a, b)
    return count == 1


def feeder_from_tables(
    feeder_id: str,
    tables: PpcTables,
    loads: LoadTable,
    sgens: SgenTable | None = None,
    *,
    v_root_pu: float = 1.0,
) -> Feeder:
    """Build a feeder; the single reference bus is the root (two reference buses → error)."""
    refs = tables.buses.id[tables.buses.is_reference]
    if len(refs) != 1:
        raise GridError(
            f"a feeder needs exactly one root (supply point), found {len(refs)}: "
            f"{refs[:5].tolist()}",
            where=f"feeder {feeder_id!r}",
            fix="keep one external grid / slack at the substation, or load the network as "
            "transmission",
        )
    b = tables.buses
    br = tables.branches
    return make_feeder(
        feeder_id,
        base_mva=tables.base_mva,
        root=int(refs[0]),
        nodes=NodeTable(id=b.id, vn_kv=b.vn_kv, v_min_pu=b.v_min_pu, v_max_pu=b.v_max_pu),
        branches=FeederBranchTable(
            id=br.id,
            name=br.name,
            from_node=br.from_bus,
            to_node=br.to_bus,
            r_pu=br.r_pu,
            x_pu=br.x_pu,
            b_pu=br.b_pu,
            rating_mva=br.rating_mva,
            is_transformer=br.is_transformer,
        ),
        loads=loads,
        sgens=sgens,
        v_root_pu=v_root_pu,
    )


def transmission_from_tables(name: str, tables: PpcTables, loads: LoadTable) -> Transmission:
    """Build a transmission network from converted tables."""
    return Transmission(
        name=name,
        base_mva=tables.base_mva,
        buses=tables.buses,
        branches=tables.branches,
        generators=tables.generators,
        loads=loads,
        pwl_costs=tables.pwl_costs,
    )


def model_from_tables(
    name: str,
    tables: PpcTables,
    loads: LoadTable,
    sgens: SgenTable | None = None,
    *,
    v_root_pu: float = 1.0,
) -> GridModel:
    """Feeder if radial with a single supply point, transmission otherwise."""
    if is_radial_single_supply(tables):
        feeder = feeder_from_tables(name, tables, loads, sgens, v_root_pu=v_root_pu)
        return GridModel(name=name, transmission=None, feeders=(feeder,))
    if sgens is not None and len(sgens):
        # Static generation on a transmission network is a negative load at its bus.
        loads = LoadTable(
            id=np.concatenate([loads.id, -1 - sgens.id]),
            bus=np.concatenate([loads.bus, sgens.bus]),
            p_mw=np.concatenate([loads.p_mw, -sgens.p_mw]),
            q_mvar=np.concatenate([loads.q_mvar, -sgens.q_mvar]),
            profile=np.concatenate([loads.profile, sgens.profile]),
        )
    return GridModel(
        name=name, transmission=transmission_from_tables(name, tables, loads), feeders=()
    )


def why_not_feeder(model: GridModel) -> str:
    """Why a grid loaded as transmission rather than as one radial feeder (loops, several
    supply points, generators away from the root, islands), for error messages."""
    t = model.transmission
    if t is None:
        return "it holds no network"
    reasons = []
    n, m = t.n_bus, len(t.branches)
    refs = int(t.buses.is_reference.sum())
    if m > n - 1:
        reasons.append(f"{m} branches for {n} buses: {m - n + 1} loop(s)")
    if refs != 1:
        reasons.append(f"{refs} supply points (reference buses), a feeder has exactly one root")
    ref_ids = set(t.buses.id[t.buses.is_reference].tolist())
    away = [int(b) for b in t.generators.bus if int(b) not in ref_ids]
    if away:
        reasons.append(f"dispatchable generators away from the root at buses {away[:5]}")
    count, _ = checks.components(n, t.bus_rows(t.branches.from_bus), t.bus_rows(t.branches.to_bus))
    if count > 1:
        reasons.append(f"{count} islands")
    return "; ".join(reasons) or "it is not a radial network with one supply point"
