"""A transmission line trip: remove the branches, rebalance split islands, recompute DC flows.

DC power flow (as :mod:`tdcoord.opf.transmission.network`): with incidence ``C`` and susceptances
``b`` (MW/rad)
of the branches left in service, ``B θ = P + Cᵀ(b ∘ φ)`` with one angle fixed per island, and
``f = b ∘ (C θ − φ)``. A trip may split the grid (a radial branch): an island whose generation
falls short of its load sheds load pro rata at its load buses (energy not served); an island with
surplus curtails its generation pro rata. Hence per interval and island
``Σ (gen − curtailed) = Σ (load − shed)`` and the balance of energy closes exactly.
The operating state per interval follows :func:`tdcoord.simulation.emergency.classify`
(an overload → ``emergency``; seed 000 §3.3 "when a line trips or is knocked down").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.csgraph as csgraph

from tdcoord.grid.model import Transmission
from tdcoord.opf.transmission.network import DcNetwork, dc_network
from tdcoord.simulation.emergency import Margins, State, classify_series
from tdcoord.simulation.errors import SimulationError
from tdcoord.types import FloatArray, IntArray

BALANCE_TOL_MW = 1e-6


def _grid2(value: npt.ArrayLike, n_bus: int, what: str) -> FloatArray:
    """``value`` as (bus rows × T) MW, or an error that names what is wrong and where: the shape,
    the first non-finite entry, or the first negative one (bus row, interval, value)."""
    a = np.asarray(value, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    fix = f"give ({n_bus}, T) finite, non-negative MW per bus row and interval"
    if a.ndim != 2 or a.shape[0] != n_bus:
        raise SimulationError(f"{what} has shape {a.shape}", where="line trip", fix=fix)
    for bad, kind in ((~np.isfinite(a), "non-finite"), (a < 0, "negative")):
        if np.any(bad):
            row, t = (int(i) for i in np.argwhere(bad)[0])
            raise SimulationError(
                f"{what} is {kind} at bus row {row}, interval {t} ({float(a[row, t])!r} MW; "
                f"{int(bad.sum())} entries in all): the operating point the trip is applied to "
                "is not a valid dispatch (was the real-time clearing infeasible?)",
                where="line trip",
                fix=fix,
            )
    return a


def without_branches(
    net: DcNetwork, keep: npt.NDArray[np.bool_], is_ref: npt.NDArray[np.bool_]
) -> DcNetwork:
    """``net`` with only the ``keep`` branches; islands and their references recomputed."""
    C = sp.csr_matrix(net.incidence[np.flatnonzero(keep)])
    coo = C.tocoo()
    frm = coo.col[coo.data > 0]
    to = coo.col[coo.data < 0]
    rows_f = coo.row[coo.data > 0]
    rows_t = coo.row[coo.data < 0]
    f_of = np.empty(C.shape[0], dtype=np.int64)
    t_of = np.empty(C.shape[0], dtype=np.int64)
    f_of[rows_f] = frm
    t_of[rows_t] = to
    adj = sp.csr_matrix((np.ones(C.shape[0]), (f_of, t_of)), shape=(net.n_bus, net.n_bus))
    n_isl, labels = csgraph.connected_components(adj, directed=False)
    island = np.asarray(labels, dtype=np.int64)
    # reference of each island: the flagged reference bus if present, else its first bus
    cand = np.where(is_ref, np.arange(net.n_bus), net.n_bus + np.arange(net.n_bus))
    best = np.full(n_isl, 2 * net.n_bus, dtype=np.int64)
    np.minimum.at(best, island, cand)
    ref_rows = np.where(best >= net.n_bus, best - net.n_bus, best)
    return dataclasses.replace(
        net,
        incidence=C,
        b_mw=net.b_mw[keep],
        shift_rad=net.shift_rad[keep],
        rating_mw=net.rating_mw[keep],
        angle_rows=np.zeros(0, dtype=np.int64),
        angle_min_rad=np.zeros(0),
        angle_max_rad=np.zeros(0),
        ref_rows=ref_rows.astype(np.int64),
        island=island,
    )


def dc_flows(net: DcNetwork, injection_mw: FloatArray) -> FloatArray:
    """Branch flows (branches × T, MW) for net injections (buses × T) balanced per island."""
    shift_inj = net.incidence.T @ (net.b_mw * net.shift_rad)
    theta = net.solve_reduced(injection_mw + shift_inj[:, None])
    return np.asarray(
        net.b_mw[:, None] * (net.incidence @ theta - net.shift_rad[:, None]), dtype=np.float64
    )


@dataclass(frozen=True, eq=False)
class LineTripResult:
    """Flows and consequences of a trip (arrays over the intervals passed in)."""

    tripped: tuple[int, ...]
    flow_mw: FloatArray
    """Branches × T in the original branch order; tripped branches carry 0."""
    loading: FloatArray
    """|flow| / rating (0 where unlimited or tripped)."""
    island: IntArray
    shed_mw: FloatArray
    curtailed_mw: FloatArray
    demand_mw: FloatArray
    states: tuple[State, ...]
    overloads: pd.DataFrame

    @property
    def served_mw(self) -> FloatArray:
        return self.demand_mw - self.shed_mw


def _checked_inputs(
    tr: Transmission, ids: list[int], gen_mw: npt.ArrayLike, load_mw: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Generation and load (bus rows × T), checked: known branches, equal shapes, balanced."""
    known = tr.branches.id
    missing = [b for b in ids if b not in set(known.tolist())]
    if missing:
        raise SimulationError(
            f"unknown transmission branch id {missing[0]}",
            where=f"line trip on {tr.name!r}",
            fix=f"use branch ids of the grid, e.g. {known[:5].tolist()}",
        )
    g = _grid2(gen_mw, tr.n_bus, "gen_mw")
    d = _grid2(load_mw, tr.n_bus, "load_mw")
    if g.shape != d.shape:
        raise SimulationError(
            f"gen_mw {g.shape} and load_mw {d.shape} differ", where="line trip", fix="align them"
        )
    return g, d


def _check_balance(g: FloatArray, d: FloatArray) -> None:
    mismatch = g.sum(axis=0) - d.sum(axis=0)
    scale = 1.0 + d.sum(axis=0)
    if np.any(np.abs(mismatch) > BALANCE_TOL_MW * scale):
        t = int(np.argmax(np.abs(mismatch)))
        raise SimulationError(
            f"generation and load differ by {mismatch[t]:.6g} MW in interval {t} before the trip",
            where="line trip",
            fix="pass a balanced dispatch (e.g. the DC-OPF result)",
        )


def _island_balance(
    island: IntArray, g: FloatArray, d: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Load shed and generation curtailed per bus row (× T) so that every island balances:
    pro rata to load in a short island, to generation in a long one."""
    n_bus = g.shape[0]
    n_isl = int(island.max()) + 1
    member = sp.csr_matrix((np.ones(n_bus), (island, np.arange(n_bus))), shape=(n_isl, n_bus))
    gi = np.asarray(member @ g, dtype=np.float64)  # islands × T
    di = np.asarray(member @ d, dtype=np.float64)
    deficit = np.maximum(di - gi, 0.0)
    surplus = np.maximum(gi - di, 0.0)
    shed_frac = np.divide(deficit, di, out=np.zeros_like(di), where=di > 0)
    curt_frac = np.divide(surplus, gi, out=np.zeros_like(gi), where=gi > 0)
    return d * shed_frac[island], g * curt_frac[island]


def _overloads(
    known: IntArray, flow: FloatArray, loading: FloatArray, rating: FloatArray
) -> pd.DataFrame:
    over_b, over_t = np.nonzero(loading > 1.0 + 1e-6)
    return pd.DataFrame(
        {
            "branch": known[over_b],
            "interval": over_t,
            "flow_mw": flow[over_b, over_t],
            "rating_mw": rating[over_b],
            "loading": loading[over_b, over_t],
        }
    )


def trip_lines(
    tr: Transmission,
    branch_ids: Sequence[int],
    gen_mw: npt.ArrayLike,
    load_mw: npt.ArrayLike,
    *,
    convention: str = "powermodels",
    previous_state: State = "normal",
) -> LineTripResult:
    """DC consequences of tripping ``branch_ids`` with generation and load per bus row × T."""
    known = tr.branches.id
    ids = [int(b) for b in branch_ids]
    g, d = _checked_inputs(tr, ids, gen_mw, load_mw)
    net0 = dc_network(tr, convention)
    _check_balance(g, d)
    keep = ~np.isin(known, ids)
    net = without_branches(net0, keep, np.asarray(tr.buses.is_reference, dtype=bool))
    shed, curtailed = _island_balance(net.island, g, d)
    inj = (g - curtailed) - (d - shed)
    f_kept = dc_flows(net, inj)
    flow = np.zeros((len(known), g.shape[1]))
    flow[keep] = f_kept
    rating = net0.rating_mw
    loading = np.divide(
        np.abs(flow),
        rating[:, None],
        out=np.zeros_like(flow),
        where=np.isfinite(rating)[:, None] & (rating[:, None] > 0),
    )
    margins = [
        Margins(
            max_loading=float(loading[:, t].max(initial=0.0)),
            shed_mw=float(shed[:, t].sum()),
            demand_mw=float(d[:, t].sum()),
        )
        for t in range(g.shape[1])
    ]
    return LineTripResult(
        tripped=tuple(ids),
        flow_mw=flow,
        loading=loading,
        island=net.island,
        shed_mw=shed,
        curtailed_mw=curtailed,
        demand_mw=d,
        states=tuple(classify_series(margins, previous_state)),
        overloads=_overloads(known, flow, loading, rating),
    )


def _islands_after(tr: Transmission, branch_ids: Sequence[int]) -> IntArray:
    """Island label per bus row once ``branch_ids`` are out."""
    net0 = dc_network(tr, "matpower")
    keep = ~np.isin(tr.branches.id, [int(b) for b in branch_ids])
    net = without_branches(net0, keep, np.asarray(tr.buses.is_reference, dtype=bool))
    return net.island


def splits_grid(tr: Transmission, branch_ids: Sequence[int]) -> bool:
    """Whether tripping ``branch_ids`` splits the transmission grid into islands that were one."""
    before = int(_islands_after(tr, []).max()) + 1
    return int(_islands_after(tr, branch_ids).max()) + 1 > before


def without_branch(tr: Transmission, branch_id: int) -> Transmission:
    """The transmission grid with branch ``branch_id`` out of service (the changed grid every
    view of the model's real-time re-clear sees: its PTDF is that of the reduced grid)."""
    keep = tr.branches.id != int(branch_id)
    if keep.all():
        raise SimulationError(
            f"unknown transmission branch id {branch_id}",
            where=f"line trip on {tr.name!r}",
            fix=f"use branch ids of the grid, e.g. {tr.branches.id[:5].tolist()}",
        )
    return dataclasses.replace(tr, branches=tr.branches.take(np.flatnonzero(keep)))


def unavoidable_shed_mw(
    tr: Transmission, branch_ids: Sequence[int], load_mw: npt.ArrayLike
) -> FloatArray:
    """Load no model can serve after the trip (bus rows × T): in every island the load beyond
    the island's generation capacity :math:`\\sum_{g \\in I} p^{max}_g`, shed pro rata to load,
    :math:`s_{bt} = d_{bt}\\,\\max(D_{It} - P^{max}_I, 0)/D_{It}`, whatever was dispatched
    before."""
    d = _grid2(load_mw, tr.n_bus, "load_mw")
    island = _islands_after(tr, branch_ids)
    cap = np.zeros((tr.n_bus, 1))
    np.add.at(cap[:, 0], tr.bus_rows(tr.generators.bus), tr.generators.p_max_mw)
    shed, _ = _island_balance(island, np.broadcast_to(cap, d.shape).copy(), d)
    return shed
