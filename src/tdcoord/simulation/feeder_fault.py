"""A feeder fault: the DSO isolates the faulted section and islands it or sheds its load.

Seed 000 §3.3: when a line trips, customers "at or near those points of failure typically lose
power"; with more DERs "neighborhoods and communities ... can effectively operate as a microgrid";
and the DSO communicates its local issues (line faults) to the TSO.

The fault is on feeder branch ``b`` (row ``i``, feeding node row ``i + 1`` in the canonical form of
:class:`~tdcoord.grid.model.Feeder`). The protection opens that branch: the **section** is node
``i + 1`` and every node below it. For the section, with load ``L_t``, local DER injection
``G_t`` and DER flexibility ``U_t`` (up), ``D_t`` (down), the section runs as a **microgrid
island** for the whole fault if

* it holds at least one grid-forming unit (a battery or other inverter able to set voltage and
  frequency; by default any node with flexibility), and
* in every interval ``G_t − D_t ≤ L_t ≤ G_t + U_t`` (local DER can follow the load), and
* the extra energy it must inject, ``Σ_t max(L_t − G_t, 0)·dt``, fits in ``energy_up_mwh``
  (the stored energy the section can give; unlimited by default);

otherwise its load is **shed** for the fault (energy not served) and its DER disconnects
(IEEE 1547 anti-islanding). The rest of the feeder stays served from the grid. Energy balance:
``demand = served from the grid + islanded-served + shed`` exactly, every interval.
Declared states: islanded → ``alert`` (served, but one more loss disconnects demand: SO GL
Art. 18(2)(d)); shed → ``emergency`` (demand disconnected); the interval after the fault →
``restorative`` (reconnection, NC ER Art. 23-27).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order

from tdcoord.grid.model import Feeder
from tdcoord.simulation.emergency import State
from tdcoord.simulation.errors import SimulationError
from tdcoord.simulation.records import Record, dso_actor, record
from tdcoord.types import BoolArray, FloatArray


def downstream_nodes(feeder: Feeder, branch_id: int) -> BoolArray:
    """Mask of the node rows below feeder branch ``branch_id`` (its receiving node included)."""
    ids = feeder.branches.id.tolist()
    if int(branch_id) not in ids:
        raise SimulationError(
            f"unknown branch id {branch_id} in feeder {feeder.id!r}",
            where=f"feeder {feeder.id!r}",
            fix=f"use a branch id of the feeder, e.g. {ids[:5]}",
        )
    row = ids.index(int(branch_id))
    n = feeder.n_node
    child = np.arange(1, n)
    adj = sp.csr_matrix((np.ones(n - 1), (feeder.parent[1:], child)), shape=(n, n))
    reach = breadth_first_order(adj, row + 1, directed=True, return_predecessors=False)
    mask = np.zeros(n, dtype=bool)
    mask[np.asarray(reach, dtype=np.int64)] = True
    return mask


def _node_grid(value: npt.ArrayLike, n: int, T: int | None, what: str) -> FloatArray:
    a = np.asarray(value, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[0] != n or (T is not None and a.shape[1] != T):
        raise SimulationError(
            f"{what} has shape {a.shape}, expected ({n}, T)",
            where="feeder fault",
            fix="give one row per feeder node row and one column per fault interval",
        )
    if not np.all(np.isfinite(a)) or np.any(a < 0):
        raise SimulationError(
            f"{what} has negative or non-finite values", where="feeder fault", fix="give MW >= 0"
        )
    return a


@dataclass(frozen=True, eq=False)
class FaultResult:
    """Outcome of one feeder fault over its intervals (arrays over the fault intervals)."""

    feeder: str
    branch: int
    section: BoolArray
    islanded: bool
    reason: str
    demand_mw: FloatArray
    """Whole-feeder demand per interval."""
    served_grid_mw: FloatArray
    islanded_served_mw: FloatArray
    shed_mw: FloatArray
    island_redispatch_mw: FloatArray
    """Node × T change of DER injection inside the island (0 when shed)."""
    interface_before_mw: FloatArray
    interface_after_mw: FloatArray
    states: tuple[State, ...]
    state_after: State
    messages: tuple[Record, ...]

    def energy_gap_mwh(self, dt_h: float) -> float:
        """``Σ (demand − served_grid − islanded_served − shed)·dt``: zero when nothing is lost."""
        gap = self.demand_mw - self.served_grid_mw - self.islanded_served_mw - self.shed_mw
        return float(gap.sum() * dt_h)


def _grid_forming(
    grid_forming: npt.ArrayLike | None, up: FloatArray, down: FloatArray
) -> BoolArray:
    """Grid-forming flag per node row (default: any node with flexibility)."""
    n = up.shape[0]
    if grid_forming is None:
        return np.asarray((up + down).sum(axis=1) > 0, dtype=bool)
    gf = np.asarray(grid_forming, dtype=bool)
    if gf.shape != (n,):
        raise SimulationError(
            f"grid_forming has shape {gf.shape}, expected ({n},)",
            where="feeder fault",
            fix="give one flag per node row",
        )
    return gf


def _island_decision(
    sums: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
    has_grid_forming: bool,
    *,
    dt_h: float,
    start_interval: int,
    energy_up_mwh: float,
) -> tuple[bool, str]:
    """Whether the section can island (module doc) and why (not); ``sums`` = section load,
    generation, up and down flexibility per interval."""
    L, G, U, Dn = sums
    tol = 1e-9 * (1.0 + L)
    need_up = np.maximum(L - G, 0.0)
    if not has_grid_forming:
        return False, "no grid-forming unit in the section"
    if np.any(G + U + tol < L):
        t = int(np.argmax(L - G - U))
        return False, f"local DER cannot cover the load in interval {start_interval + t}"
    if np.any(G - Dn - tol > L):
        t = int(np.argmax(G - Dn - L))
        return (
            False,
            f"local generation cannot be reduced to the load in interval {start_interval + t}",
        )
    if need_up.sum() * dt_h > energy_up_mwh + 1e-9:
        return False, "stored energy of the section runs out before the fault is cleared"
    return True, "local DER covers the section load within its limits"


@dataclass(frozen=True, eq=False)
class FaultArea:
    """The feeder's nodes during a fault: load, local DER and static generation injection and
    DER flexibility up/down (node rows × fault intervals, MW ≥ 0), the grid-forming flag per
    node (default: any node with flexibility) and the stored energy the section can give
    (``energy_up_mwh``, unlimited by default)."""

    load_mw: npt.ArrayLike
    gen_mw: npt.ArrayLike
    up_mw: npt.ArrayLike
    down_mw: npt.ArrayLike
    grid_forming: npt.ArrayLike | None = None
    energy_up_mwh: float = float("inf")


def isolate_fault(
    feeder: Feeder, branch_id: int, area: FaultArea, *, dt_h: float, start_interval: int = 0
) -> FaultResult:
    """Isolate the section below ``branch_id`` and decide island or shed (see module doc)."""
    section = downstream_nodes(feeder, branch_id)
    n = feeder.n_node
    load = _node_grid(area.load_mw, n, None, "load_mw")
    T = load.shape[1]
    gen = _node_grid(area.gen_mw, n, T, "gen_mw")
    up = _node_grid(area.up_mw, n, T, "up_mw")
    down = _node_grid(area.down_mw, n, T, "down_mw")
    gf = _grid_forming(area.grid_forming, up, down)
    L = load[section].sum(axis=0)
    G = gen[section].sum(axis=0)
    U = up[section].sum(axis=0)
    Dn = down[section].sum(axis=0)
    ok, reason = _island_decision(
        (L, G, U, Dn),
        bool(gf[section].any()),
        dt_h=dt_h,
        start_interval=start_interval,
        energy_up_mwh=area.energy_up_mwh,
    )
    delta = L - G  # > 0: more injection needed
    redispatch = np.zeros((n, T))
    if ok:
        w_up = np.divide(up, U, out=np.zeros_like(up), where=U > 0) * np.maximum(delta, 0.0)
        w_dn = np.divide(down, Dn, out=np.zeros_like(down), where=Dn > 0) * np.minimum(delta, 0.0)
        redispatch = np.where(section[:, None], w_up + w_dn, 0.0)
    demand = load.sum(axis=0)
    served_grid = demand - L
    state: State = "alert" if ok else "emergency"
    dso = dso_actor(feeder.id)
    return FaultResult(
        feeder=feeder.id,
        branch=int(branch_id),
        section=section,
        islanded=ok,
        reason=reason,
        demand_mw=demand,
        served_grid_mw=served_grid,
        islanded_served_mw=L if ok else np.zeros(T),
        shed_mw=np.zeros(T) if ok else L,
        island_redispatch_mw=redispatch,
        interface_before_mw=demand - gen.sum(axis=0),
        interface_after_mw=served_grid - gen[~section].sum(axis=0),
        states=tuple([state] * T),
        state_after="restorative",
        messages=(
            record(dso, "tso", "fault_notice", 3, start_interval),
            record(dso, "tso", "island_status" if ok else "shedding_report", T, start_interval),
            record(dso, "tso", "restoration_notice", 1, start_interval + T),
        ),
    )
