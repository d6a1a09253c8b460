"""SimBench grids (optional extra ``simbench``; data ODbL, shipped in the wheel, read offline).

A multi-level SimBench grid is split at its transformers: buses at or above
:data:`TRANSMISSION_MIN_KV` (EHV and HV) form the transmission network; each connected MV/LV part
below an HV/MV transformer becomes a feeder rooted at the transformer's HV bus, the transformer
(parallel units as one equivalent) its first branch, the external grid's set-point its root
voltage and the transformers' no-load losses its root shunt (:func:`_supply_branch`), with one
T–D interface whose rating is the sum of the transformers feeding it. SimBench's load, renewable and
power-plant profiles are kept (:class:`~tdcoord.grid.profiles.Profiles`).
"""

from __future__ import annotations

import dataclasses
import difflib
from typing import Any, TypeVar

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


def _feeders_and_interfaces(  # noqa: PLR0913, RUF100 - the split's tables, one argument each
    name: str, tables: PpcTables, hv: Any, loads: LoadTable, sgens: Any, source: SourceData
) -> tuple[list[Feeder], InterfaceTable]:
    """One feeder per connected distribution area, rooted at the HV bus of its transformer(s)
    (:func:`_supply_branch`)."""
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
        supply = _supply_branch(tables, np.flatnonzero(crossing)[in_comp], int(roots[0]),
                                int(feeders_hv[0]), source)
        feeders.append(_feeder(fid, tables, members, supply, d_branch, loads, sgens))
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
    tables, mapping = ppc_tables(net, keep_dangling=True)
    loads, sgens = loads_and_sgens(net, mapping)
    profiles = _profiles(net)
    hv = tables.buses.vn_kv >= TRANSMISSION_MIN_KV
    if hv.all() or not hv.any():
        model = model_from_tables(name, tables, loads, sgens)
        return _with_profiles(model, profiles)
    source = _source_data(net, mapping)
    feeders, interfaces = _feeders_and_interfaces(name, tables, hv, loads, sgens, source)
    transmission = dataclasses.replace(
        _transmission_part(name, tables, hv, loads, sgens), v_ref_pu=source.v_default
    )
    model = GridModel(
        name=name, transmission=transmission, feeders=tuple(feeders), interfaces=interfaces
    )
    return _with_profiles(model, profiles)


@dataclasses.dataclass(frozen=True)
class SourceData:
    """What the split takes from the pandapower net besides the ppc tables: the slack voltage
    set-point of each model bus holding an external grid (``v_slack``, pu; ``v_default`` when
    the net has a single external grid), and the no-load powers of each two-winding
    transformer's ppc branch row at 1 pu (``no_load``: row → (P MW, Q Mvar))."""

    v_slack: dict[int, float]
    v_default: float
    no_load: dict[int, tuple[float, float]]


def _source_data(net: Any, mapping: dict[int, int]) -> SourceData:
    """Slack set-points and transformer no-load losses (pandapower's ``pfe_kw``, ``i0_percent``:
    P₀ = pfe, Q₀ = √(S₀² − P₀²) with S₀ = i0/100 · sn_mva, times ``parallel``)."""
    ext = net.ext_grid[net.ext_grid["in_service"].astype(bool)]
    v_slack = {mapping[int(b)]: float(v) for b, v in zip(ext["bus"], ext["vm_pu"], strict=True)
               if int(b) in mapping}
    v_default = float(ext["vm_pu"].iloc[0]) if len(ext) == 1 else 1.0
    no_load: dict[int, tuple[float, float]] = {}
    span = net._pd2ppc_lookups.get("branch", {}).get("trafo")
    if span is not None and len(net.trafo):
        tr = net.trafo
        par = tr["parallel"].to_numpy(dtype=float) if "parallel" in tr else np.ones(len(tr))
        p0 = tr["pfe_kw"].to_numpy(dtype=float) / 1e3 * par
        s0 = tr["i0_percent"].to_numpy(dtype=float) / 100.0 * tr["sn_mva"].to_numpy(float) * par
        q0 = np.sqrt(np.maximum(s0**2 - p0**2, 0.0))
        for k in range(min(len(tr), int(span[1]) - int(span[0]))):
            no_load[int(span[0]) + k] = (float(p0[k]), float(q0[k]))
    return SourceData(v_slack, v_default, no_load)


@dataclasses.dataclass(frozen=True)
class SupplyBranch:
    """The equivalent supply transformer of a feeder: HV bus → MV root (see
    :func:`_supply_branch`)."""

    hv_bus: int
    hv_node: NodeTable
    branch: FeederBranchTable
    v_root_pu: float
    shunt_p_mw: float
    shunt_q_mvar: float


def _supply_branch(
    tables: PpcTables, rows: Any, mv_root: int, hv_bus: int, source: SourceData
) -> SupplyBranch:
    """The HV/MV transformer(s) feeding a distribution area as one feeder branch.

    Parallel transformers between the same two buses become one branch with the parallel
    impedance z = 1/Σ(1/z_k), summed rating and charging. An off-nominal tap τ at the HV side
    (MATPOWER model: ideal transformer, then the series impedance) is exact as a root voltage
    v_slack/τ, provided every parallel unit has the same τ. The phase shift does not change
    magnitudes on a radial feeder and is dropped. The no-load losses go into the feeder's root
    shunt (constant admittance; at the HV side, so exact for the fixed root voltage)."""
    br = tables.branches.take(rows)
    y = 1.0 / (br.r_pu + 1j * br.x_pu)
    z = 1.0 / y.sum()
    tau = np.unique(br.tap_ratio)
    if len(tau) > 1:
        raise GridError(
            f"parallel transformers {br.name.tolist()} have different taps {tau.tolist()}",
            fix="set the same tap position on parallel units",
        )
    buses = tables.buses.take(np.isin(tables.buses.id, [hv_bus]))
    no_load = np.array([source.no_load.get(int(r), (0.0, 0.0)) for r in br.id]).reshape(-1, 2)
    branch = FeederBranchTable(
        id=br.id[:1],
        name=np.array([" ∥ ".join(str(n) for n in br.name)], dtype=object),
        from_node=np.array([hv_bus]),
        to_node=np.array([mv_root]),
        r_pu=np.array([z.real]),
        x_pu=np.array([z.imag]),
        b_pu=np.zeros(1),  # the magnetising susceptance is in the root shunt
        rating_mva=np.array([float(br.rating_mva.sum())]),
        is_transformer=np.array([True]),
    )
    return SupplyBranch(
        hv_bus=hv_bus,
        hv_node=NodeTable(id=buses.id, vn_kv=buses.vn_kv, v_min_pu=buses.v_min_pu,
                          v_max_pu=buses.v_max_pu),
        branch=branch,
        v_root_pu=source.v_slack.get(hv_bus, source.v_default) / float(tau[0]),
        shunt_p_mw=float(no_load[:, 0].sum()),
        shunt_q_mvar=float(no_load[:, 1].sum()),
    )


def _feeder(  # noqa: PLR0913, RUF100 - the split's tables, one argument each
    fid: str,
    tables: PpcTables,
    members: Any,
    supply: SupplyBranch,
    d_branch: Any,
    loads: LoadTable,
    sgens: SgenTable,
) -> Feeder:
    b = tables.buses.take(np.isin(tables.buses.id, members))
    br = tables.branches.take(d_branch & np.isin(tables.branches.from_bus, members))
    nodes = NodeTable(id=b.id, vn_kv=b.vn_kv, v_min_pu=b.v_min_pu, v_max_pu=b.v_max_pu)
    branches = FeederBranchTable(
        id=br.id,
        name=br.name,
        from_node=br.from_bus,
        to_node=br.to_bus,
        r_pu=br.r_pu,
        x_pu=br.x_pu,
        b_pu=br.b_pu,
        rating_mva=br.rating_mva,
        is_transformer=br.is_transformer,
    )
    return make_feeder(
        fid,
        base_mva=tables.base_mva,
        root=supply.hv_bus,
        nodes=_stack(supply.hv_node, nodes),
        branches=_stack(supply.branch, branches),
        loads=loads.take(np.isin(loads.bus, members)),
        sgens=sgens.take(np.isin(sgens.bus, members)),
        v_root_pu=supply.v_root_pu,
        root_shunt_p_mw=supply.shunt_p_mw,
        root_shunt_q_mvar=supply.shunt_q_mvar,
    )


_T = TypeVar("_T", NodeTable, FeederBranchTable)


def _stack(first: _T, second: _T) -> _T:
    """The rows of ``first`` then those of ``second`` (same table type)."""
    cols = {c: np.concatenate([first.column(c), second.column(c)]) for c in first.columns()}
    return type(first)(**cols)


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
    return dataclasses.replace(model, profiles=profiles)
