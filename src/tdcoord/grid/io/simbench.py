"""SimBench grids (optional extra ``simbench``; data ODbL, shipped in the wheel, read offline).

A multi-level SimBench grid is split at its transformers: buses at or above
:data:`TRANSMISSION_MIN_KV` (EHV and HV) form the transmission network; each connected MV/LV part
below an HV/MV transformer becomes a feeder rooted at the transformer's MV bus, with one T–D
interface whose rating is the sum of the transformers feeding it. SimBench's load, renewable and
power-plant profiles are kept (:class:`~tdcoord.grid.profiles.Profiles`).
"""

from __future__ import annotations

import difflib
from typing import Any

import numpy as np

from tdcoord.errors import GridError, SourceError
from tdcoord.grid import checks
from tdcoord.grid.components import (
    FeederBranchTable,
    InterfaceTable,
    LoadTable,
    NodeTable,
    SgenTable,
)
from tdcoord.grid.io.classify import model_from_tables, transmission_from_tables
from tdcoord.grid.io.pandapower import loads_and_sgens, ppc_tables
from tdcoord.grid.io.ppc import PpcTables
from tdcoord.grid.model import Feeder, GridModel, Transmission, make_feeder
from tdcoord.grid.profiles import Profiles

#: Voltage (kV) from which a bus belongs to transmission (SimBench HV is 110 kV, MV 10–30 kV).
TRANSMISSION_MIN_KV = 60.0


def simbench_codes() -> list[str]:
    """Every valid SimBench code."""
    try:
        import simbench as sb
    except ImportError as exc:
        raise SourceError(
            "simbench: sources need the optional extra", fix="pip install 'tdcoord[simbench]'"
        ) from exc
    return list(sb.collect_all_simbench_codes())


def read_simbench(code: str) -> GridModel:
    """Load and split a SimBench grid (the code is checked: SimBench silently returns a plain
    grid for an invalid code)."""
    codes = simbench_codes()
    if code not in codes:
        close = difflib.get_close_matches(code, codes, n=3)
        raise SourceError(
            f"{code!r} is not a SimBench code",
            fix=f"did you mean {', '.join(close)}?"
            if close
            else "see simbench.collect_all_simbench_codes()",
        )
    import simbench as sb

    net = sb.get_simbench_net(code)
    return split_network(net, code)


def _transmission_part(
    name: str, tables: PpcTables, hv: Any, loads: LoadTable, sgens: Any
) -> Transmission:
    """The high-voltage buses, the branches between them, their generators and loads (static
    generation as negative loads)."""
    hv_ids = tables.buses.id[hv]
    br = tables.branches
    both_hv = np.isin(br.from_bus, hv_ids) & np.isin(br.to_bus, hv_ids)
    t_tables = PpcTables(
        base_mva=tables.base_mva,
        buses=tables.buses.take(hv),
        branches=br.take(both_hv),
        generators=tables.generators.take(np.isin(tables.generators.bus, hv_ids)),
        pwl_costs=tables.pwl_costs,
        bus_p_load_mw=tables.bus_p_load_mw[hv],
        bus_q_load_mvar=tables.bus_q_load_mvar[hv],
    )
    t_loads = loads.take(np.isin(loads.bus, hv_ids))
    t_sgens = sgens.take(np.isin(sgens.bus, hv_ids))
    if len(t_sgens):
        t_loads = LoadTable(
            id=np.concatenate([t_loads.id, -1 - t_sgens.id]),
            bus=np.concatenate([t_loads.bus, t_sgens.bus]),
            p_mw=np.concatenate([t_loads.p_mw, -t_sgens.p_mw]),
            q_mvar=np.concatenate([t_loads.q_mvar, -t_sgens.q_mvar]),
            profile=np.concatenate([t_loads.profile, t_sgens.profile]),
        )
    return transmission_from_tables(name, t_tables, t_loads)


def _one_root(name: str, members: Any, roots: Any, feeders_hv: Any) -> None:
    """A distribution area needs exactly one transformer to transmission."""
    if len(roots) == 0:
        raise GridError(
            f"distribution buses {members[:5].tolist()} have no transformer to transmission",
            where=name,
            fix="connect them or remove them",
        )
    if len(roots) > 1 or len(feeders_hv) > 1:
        raise GridError(
            f"distribution area with buses {members[:5].tolist()} is fed from "
            f"{len(roots)} MV buses / {len(feeders_hv)} HV buses; a feeder needs one "
            "supply point",
            where=name,
            fix="open a coupling switch so that each area has one substation",
        )


def _feeders_and_interfaces(
    name: str, tables: PpcTables, hv: Any, loads: LoadTable, sgens: Any
) -> tuple[list[Feeder], InterfaceTable]:
    """One feeder per connected distribution area, below the HV bus of its transformer."""
    bus_ids = tables.buses.id
    hv_ids = bus_ids[hv]
    br = tables.branches
    f_hv = np.isin(br.from_bus, hv_ids)
    t_hv = np.isin(br.to_bus, hv_ids)
    crossing = f_hv != t_hv
    d_branch = ~f_hv & ~t_hv
    d_ids = bus_ids[~hv]
    order = np.argsort(d_ids)
    a = order[np.searchsorted(d_ids, br.from_bus[d_branch], sorter=order)]
    b = order[np.searchsorted(d_ids, br.to_bus[d_branch], sorter=order)]
    count, labels = checks.components(len(d_ids), a, b)
    mv_side = np.where(t_hv[crossing], br.from_bus[crossing], br.to_bus[crossing])
    hv_side = np.where(t_hv[crossing], br.to_bus[crossing], br.from_bus[crossing])
    rating = br.rating_mva[crossing]
    feeders: list[Feeder] = []
    itf_bus: list[int] = []
    itf_rating: list[float] = []
    for comp in range(count):  # one iteration per feeder
        members = d_ids[labels == comp]
        in_comp = np.isin(mv_side, members)
        roots = np.unique(mv_side[in_comp])
        feeders_hv = np.unique(hv_side[in_comp])
        _one_root(name, members, roots, feeders_hv)
        fid = f"{name}/{len(feeders)}"
        feeders.append(_feeder(fid, tables, members, int(roots[0]), d_branch, loads, sgens))
        itf_bus.append(int(feeders_hv[0]))
        itf_rating.append(float(rating[in_comp].sum()))
    interfaces = InterfaceTable(
        id=np.arange(len(feeders)),
        transmission_bus=np.asarray(itf_bus, dtype=np.int64),
        feeder=np.asarray([f.id for f in feeders], dtype=object),
        rating_mva=np.asarray(itf_rating, dtype=np.float64),
    )
    return feeders, interfaces


def split_network(net: Any, name: str) -> GridModel:
    """Split a multi-level pandapower network into transmission (buses at or above
    ``TRANSMISSION_MIN_KV``), feeders (one per connected distribution area, rooted at its
    transformer) and interfaces."""
    tables, mapping = ppc_tables(net)
    loads, sgens = loads_and_sgens(net, mapping)
    profiles = _profiles(net)
    hv = tables.buses.vn_kv >= TRANSMISSION_MIN_KV
    if hv.all() or not hv.any():
        model = model_from_tables(name, tables, loads, sgens)
        return _with_profiles(model, profiles)
    feeders, interfaces = _feeders_and_interfaces(name, tables, hv, loads, sgens)
    transmission = _transmission_part(name, tables, hv, loads, sgens)
    model = GridModel(
        name=name, transmission=transmission, feeders=tuple(feeders), interfaces=interfaces
    )
    return _with_profiles(model, profiles)


def _feeder(
    fid: str,
    tables: PpcTables,
    members: Any,
    root: int,
    d_branch: Any,
    loads: LoadTable,
    sgens: SgenTable,
) -> Feeder:
    b = tables.buses.take(np.isin(tables.buses.id, members))
    br = tables.branches.take(d_branch & np.isin(tables.branches.from_bus, members))
    return make_feeder(
        fid,
        base_mva=tables.base_mva,
        root=root,
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
        loads=loads.take(np.isin(loads.bus, members)),
        sgens=sgens.take(np.isin(sgens.bus, members)),
    )


def _profiles(net: Any) -> Profiles | None:
    """SimBench profiles as factors: loads (p and q columns), renewables, power plants."""
    prof = getattr(net, "profiles", None)
    if not prof or "load" not in prof or len(prof["load"]) == 0:
        return None
    load = prof["load"]
    time = (
        load["time"].astype(str).to_numpy() if "time" in load else np.arange(len(load)).astype(str)
    )
    names: list[str] = []
    p_cols: list[Any] = []
    q_cols: list[Any] = []
    for col in load.columns:
        if col.endswith("_pload"):
            base = col.removesuffix("_pload")
            names.append(base)
            p_cols.append(load[col].to_numpy(dtype=float))
            qcol = base + "_qload"
            q_cols.append(
                load[qcol].to_numpy(dtype=float)
                if qcol in load
                else load[col].to_numpy(dtype=float)
            )
    for key in ("renewables", "powerplants", "storage"):
        frame = prof.get(key)
        if frame is None or len(frame) != len(load):
            continue
        for col in frame.columns:
            if col == "time":
                continue
            names.append(str(col))
            p_cols.append(frame[col].to_numpy(dtype=float))
            q_cols.append(frame[col].to_numpy(dtype=float))
    return Profiles(
        time=np.asarray(time, dtype=object),
        names=np.asarray(names, dtype=object),
        p_factor=np.column_stack(p_cols),
        q_factor=np.column_stack(q_cols),
    )


def _with_profiles(model: GridModel, profiles: Profiles | None) -> GridModel:
    import dataclasses

    return dataclasses.replace(model, profiles=profiles)
