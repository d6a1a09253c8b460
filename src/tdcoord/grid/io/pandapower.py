"""pandapower networks → tdcoord (pandapower is the grid-data hub).

The electrical parameters come from pandapower's own ``to_ppc`` conversion (lines, two- and
three-winding transformers with taps, impedances, closed bus–bus switches merged, open line
switches honoured, shunts), so per-unit values are exactly those pandapower's power flow uses.
Ids stay pandapower's: bus ids are pandapower bus indices (a set of buses merged by closed
switches takes the smallest index), branch ids are ppc rows, loads and static generators keep
their element indices and SimBench profile names.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from tdcoord.errors import GridError
from tdcoord.grid.components import LoadTable, SgenTable
from tdcoord.grid.io.classify import model_from_tables
from tdcoord.grid.io.ppc import BR_STATUS, F_BUS, T_BUS, PpcNames, PpcTables, tables_from_ppc
from tdcoord.grid.model import GridModel
from tdcoord.types import IntArray

#: pandapower stores "no rating" as max_i_ka = 99999 (from MATPOWER rateA = 0).
_UNLIMITED_I_KA = 9.9e4


def _in_service(frame: pd.DataFrame) -> pd.DataFrame:
    if "in_service" in frame:
        return frame[frame["in_service"].astype(bool)]
    return frame


def ppc_tables(net: Any, *, keep_dangling: bool = False) -> tuple[PpcTables, dict[int, int]]:
    """Convert with ``to_ppc``; return the tables and the pandapower-bus → model-bus id map.

    ``keep_dangling=True`` keeps the auxiliary bus of a line open at one end (with the line), so
    that the line's charging, energised from its closed end as in pandapower, stays in the model
    (SimBench, :mod:`tdcoord.grid.io.simbench`); by default such lines are dropped."""
    from pandapower.converter.pypower import to_ppc

    if len(net.bus) == 0:
        raise GridError("the pandapower network has no buses", fix="load a non-empty network")
    try:
        ppc = to_ppc(net, init="flat", calculate_voltage_angles=True, check_connectivity=False)
    except Exception as exc:  # pandapower raises plain exceptions for inconsistent data
        raise GridError(
            f"pandapower could not convert the network: {exc}",
            fix="run pandapower.diagnostic(net) to find the inconsistent element",
        ) from exc
    lookups = net._pd2ppc_lookups
    bus_lookup = np.asarray(lookups["bus"], dtype=np.int64)
    n_ppc = ppc["bus"].shape[0]
    # Representative pandapower id per ppc bus: the smallest in-service pandapower bus mapped to it.
    pp_index = _in_service(net.bus).index.to_numpy(dtype=np.int64)
    rows = bus_lookup[pp_index]
    rep = np.full(n_ppc, -1, dtype=np.int64)
    order = np.argsort(-pp_index)  # write larger first so the smallest wins
    rep[rows[order]] = pp_index[order]
    aux = rep < 0
    # Auxiliary ppc buses (open line switches, 3-winding star points): keep the star points
    # (degree ≥ 2) under fresh ids, drop dangling ones with their branches.
    branch = np.asarray(ppc["branch"], dtype=np.float64)
    active = branch[:, BR_STATUS] > 0
    f = branch[:, F_BUS].astype(np.int64)
    t = branch[:, T_BUS].astype(np.int64)
    degree = np.bincount(np.concatenate([f[active], t[active]]), minlength=n_ppc)
    star = aux & (degree >= (1 if keep_dangling else 2))
    base = int(net.bus.index.max()) + 1
    rep[star] = base + np.arange(int(star.sum()))
    keep_bus = ~(aux & ~star)
    names, is_trafo, rating = _branch_names_and_ratings(net, lookups["branch"], len(branch))
    keep_bus &= _supplied(ppc["bus"], branch, keep_bus)
    gen = np.asarray(ppc["gen"], dtype=np.float64)
    gen_names = _gen_names(net, lookups, len(gen))
    gencost = _gencost(net, gen_names)
    tables = tables_from_ppc(
        float(ppc["baseMVA"]),
        ppc["bus"],
        branch,
        gen,
        gencost,
        PpcNames(
            bus_ids=np.where(rep >= 0, rep, -1 - np.arange(n_ppc)),
            branch_ids=np.arange(len(branch), dtype=np.int64),
            branch_names=names,
            branch_is_transformer=is_trafo,
            gen_ids=np.arange(len(gen), dtype=np.int64),
            gen_names=gen_names,
            keep_bus=keep_bus,
        ),
    )
    kept_rating = rating[np.isin(np.arange(len(branch)), tables.branches.id)]
    tables = _replace_branches(tables, kept_rating)
    kept_ids = set(tables.buses.id.tolist())
    mapping = {
        int(b): int(rep[bus_lookup[b]]) for b in pp_index if int(rep[bus_lookup[b]]) in kept_ids
    }
    dropped = len(pp_index) - len(mapping)
    if dropped:
        warnings.warn(
            f"{dropped} pandapower buses are not supplied by any external grid or slack and were "
            "left out (as pandapower's power flow does)",
            stacklevel=2,
        )
    return tables, mapping


def _gen_names(net: Any, lookups: dict[str, Any], n_gen: int) -> Any:
    """Name of every ppc generator row: "ext_grid 0", "gen 3", "sgen 7", "storage 1"."""
    gen_names = np.array([f"gen {i}" for i in range(n_gen)], dtype=object)
    for element in ("ext_grid", "gen", "sgen_controllable", "storage_controllable"):
        pos = lookups.get(element)
        if pos is None:
            continue
        pos = np.asarray(pos, dtype=np.int64)
        frame_name = element.removesuffix("_controllable")
        frame = getattr(net, frame_name)
        if element.endswith("_controllable") and "controllable" in frame:
            frame = frame[frame["controllable"].fillna(False).astype(bool)]
        frame = _in_service(frame)
        for k, g in enumerate(pos):
            if k < len(frame):
                gen_names[g] = f"{frame_name} {frame.index[k]}"
    return gen_names


def _branch_names_and_ratings(
    net: Any, ranges: dict[str, tuple[int, int]], n_rows: int
) -> tuple[Any, Any, Any]:
    """Name ("line 3", "trafo 0"), transformer flag and rating (MVA, inf if none) per ppc row.

    Ratings come from the element tables: lines √3·V·I_max·parallel·df (99999 kA = none),
    transformers sn_mva·parallel, both scaled by max_loading_percent/100 where given.
    """
    names = np.array([f"branch {i}" for i in range(n_rows)], dtype=object)
    is_trafo = np.zeros(n_rows, dtype=bool)
    rating = np.full(n_rows, np.inf)
    total = sum(stop - start for start, stop in ranges.values())
    offset = 0
    for element, (start, stop) in sorted(ranges.items(), key=lambda kv: kv[1][0]):
        frame = getattr(net, element, None)
        if frame is None:
            continue
        if total != n_rows:  # pandapower dropped out-of-service rows: keep in-service ones
            frame = _in_service(frame)
        count = min(len(frame), stop - start, n_rows - offset)
        frame = frame.iloc[:count]
        rows = np.arange(offset, offset + count)
        names[rows] = [f"{element} {i}" for i in frame.index]
        loading = (
            frame["max_loading_percent"].fillna(100.0).to_numpy(dtype=float) / 100.0
            if "max_loading_percent" in frame
            else 1.0
        )
        parallel = frame["parallel"].to_numpy(dtype=float) if "parallel" in frame else 1.0
        if element == "line":
            vn = net.bus.loc[frame["from_bus"], "vn_kv"].to_numpy(dtype=float)
            i_ka = frame["max_i_ka"].to_numpy(dtype=float)
            df = frame["df"].to_numpy(dtype=float) if "df" in frame else 1.0
            r = np.sqrt(3.0) * vn * i_ka * parallel * df * loading
            rating[rows] = np.where((i_ka >= _UNLIMITED_I_KA) | ~(r > 0), np.inf, r)
        elif element == "trafo":
            is_trafo[rows] = True
            sn = frame["sn_mva"].to_numpy(dtype=float) * parallel * loading
            rating[rows] = np.where(sn > 0, sn, np.inf)
        elif element.startswith("trafo3w"):
            is_trafo[rows] = True
        offset = offset + count if total != n_rows else stop
    return names, is_trafo, rating


def _supplied(bus: Any, branch: Any, keep: Any) -> Any:
    """Buses in a connected component (active branches) that holds a reference bus."""
    from tdcoord.grid import checks

    n = bus.shape[0]
    active = branch[:, BR_STATUS] > 0
    f = branch[active, F_BUS].astype(np.int64)
    t = branch[active, T_BUS].astype(np.int64)
    ok = keep[f] & keep[t]
    _, labels = checks.components(n, f[ok], t[ok])
    ref_labels = np.unique(labels[(bus[:, 1] == 3) & keep])
    return np.isin(labels, ref_labels)


def _replace_branches(tables: PpcTables, rating: Any) -> PpcTables:
    import dataclasses

    return dataclasses.replace(tables, branches=tables.branches.replace(rating_mva=rating))


def _gencost(net: Any, gen_names: Any) -> Any:
    """MATPOWER-style gencost rows from ``net.poly_cost`` / ``net.pwl_cost`` per ppc generator."""
    n = len(gen_names)
    if n == 0:
        return None
    rows = np.zeros((n, 4 + 3))
    rows[:, 0], rows[:, 3] = 2, 3
    name_to_row = {str(name): i for i, name in enumerate(gen_names)}
    for _, cost in net.poly_cost.iterrows():
        row = name_to_row.get(f"{cost['et']} {int(cost['element'])}")
        if row is not None:
            rows[row, 4:7] = [cost["cp2_eur_per_mw2"], cost["cp1_eur_per_mw"], cost["cp0_eur"]]
    pwl: dict[int, list[float]] = {}
    if "pwl_cost" in net and len(net.pwl_cost):
        for _, cost in net.pwl_cost.iterrows():
            if cost.get("power_type", "p") != "p":
                continue
            row = name_to_row.get(f"{cost['et']} {int(cost['element'])}")
            if row is None:
                continue
            points: list[float] = []
            total = 0.0
            for k, (p0, p1, slope) in enumerate(cost["points"]):
                if k == 0:
                    points += [float(p0), 0.0]
                total += (float(p1) - float(p0)) * float(slope)
                points += [float(p1), total]
            pwl[row] = points
    if pwl:
        width = max(len(p) for p in pwl.values())
        out = np.zeros((n, 4 + max(width, 3)))
        out[:, : rows.shape[1]] = rows
        for row, points in pwl.items():
            out[row, :] = 0
            out[row, 0], out[row, 3] = 1, len(points) // 2
            out[row, 4 : 4 + len(points)] = points
        return out
    return rows


def _element_table(
    frame: pd.DataFrame, mapping: dict[int, int], kind_default: str
) -> dict[str, Any]:
    frame = _in_service(frame)
    frame = frame[frame["bus"].isin(list(mapping))]
    scaling = frame["scaling"].to_numpy(dtype=float) if "scaling" in frame else 1.0
    buses = frame["bus"].to_numpy(dtype=np.int64)
    profile = (
        frame["profile"].fillna("").astype(str).to_numpy(dtype=object)
        if "profile" in frame
        else np.full(len(frame), "", dtype=object)
    )
    kind = (
        frame["type"].fillna(kind_default).astype(str).to_numpy(dtype=object)
        if "type" in frame
        else np.full(len(frame), kind_default, dtype=object)
    )
    return {
        "id": frame.index.to_numpy(dtype=np.int64),
        "bus": np.array([mapping[int(b)] for b in buses], dtype=np.int64),
        "p_mw": frame["p_mw"].to_numpy(dtype=float) * scaling,
        "q_mvar": frame["q_mvar"].to_numpy(dtype=float) * scaling,
        "profile": profile,
        "kind": kind,
    }


def loads_and_sgens(net: Any, mapping: dict[int, int]) -> tuple[LoadTable, SgenTable]:
    """Loads and non-controllable static generators of the network, on model bus ids."""
    ld = _element_table(net.load, mapping, "load")
    loads = LoadTable(
        id=ld["id"], bus=ld["bus"], p_mw=ld["p_mw"], q_mvar=ld["q_mvar"], profile=ld["profile"]
    )
    sg_frame = net.sgen
    if "controllable" in sg_frame:
        sg_frame = sg_frame[~sg_frame["controllable"].fillna(False).astype(bool)]
    sg = _element_table(sg_frame, mapping, "sgen")
    sgens = SgenTable(
        id=sg["id"],
        bus=sg["bus"],
        p_mw=sg["p_mw"],
        q_mvar=sg["q_mvar"],
        kind=sg["kind"],
        profile=sg["profile"],
    )
    return loads, sgens


def from_pandapower(net: Any, name: str) -> GridModel:
    """A pandapower network as a feeder (radial, one supply point) or transmission network."""
    tables, mapping = ppc_tables(net)
    loads, sgens = loads_and_sgens(net, mapping)
    v_root = float(net.ext_grid["vm_pu"].iloc[0]) if len(net.ext_grid) == 1 else 1.0
    return model_from_tables(name, tables, loads, sgens, v_root_pu=v_root)


def bus_ids(mapping: dict[int, int], pp_buses: IntArray) -> IntArray:
    """Model bus ids of pandapower bus indices."""
    return np.array([mapping[int(b)] for b in pp_buses], dtype=np.int64)
