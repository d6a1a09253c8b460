"""Grid prequalification by the connecting DSO: would full activation violate the feeder's limits?

For every DER (or group of DERs) and product, the DSO activates the DER's whole reported
flexibility in the product's direction(s) — up (``+up_mw``) for up-products, down
(``−down_mw``) for down-products, ``±q_max_mvar`` for reactive products — on top of the feeder's
operating point, in **every** interval of the day, and checks the feeder's limits at the worst
interval (seed 000 §1.3 and seed 001 §IV: grid prequalification / traffic light by the DSO).

Network model: LinDistFlow (Baran & Wu 1989; lossless, linear in squared voltages) on the
canonical radial feeder. With the path matrix ``B`` (``B[j, b] = 1`` when branch ``b`` is on the
path root → ``j``; :func:`tdcoord.grid.topology.path_matrix`) and net injections ``p, q`` per
node (MW, Mvar):

    P_br = −Bᵀ p,  Q_br = −Bᵀ q                                  (flow parent → child)
    V²   = v0² − 2 B (r ⊙ P_br + x ⊙ Q_br) / S_base              (per unit)
    ΔV²  = 2 (R_path Δp + X_path Δq) / S_base,  R_path = B diag(r) Bᵀ

and branch apparent power ``|S_b| = sqrt(P_br² + Q_br²)`` against ``rating_mva``; the feeder
head (interface transformer) is checked as a virtual branch on every path, rated
``min(substation_rating_mva, interface rating)``. All DERs of a feeder are evaluated at once: the
activations form a ``(nodes, DERs, intervals)`` block (chunked to bound memory) and every product
with ``B`` is one sparse matrix product.

Traffic light per DER and product (:class:`~tdcoord.der.prequalification.TrafficLight`):

* **red** — the activation creates or worsens a violation (voltage outside
  ``[v_min_pu, v_max_pu]`` or loading above 100 %) at some node/branch and interval, and reactive
  support cannot remove it;
* **amber** — no violation, but the worst voltage is within ``margin_v_pu`` of a limit or the
  worst loading above ``1 − margin_loading``; or a voltage violation that the DER's own reactive
  power (``q_max_mvar``, absorbing when raising voltage, injecting when lowering) removes
  ("only with reactive support"); or the feeder already violates a limit without the activation
  (which does not worsen it);
* **green** — neither.

LinDistFlow neglects losses: against AC power flow (pandapower) its voltages differ by a few
10⁻³ pu on lightly loaded MV feeders and up to :data:`LINDISTFLOW_TOL_V_PU` near 0.91 pu (tests);
LinDistFlow over-estimates voltages, so under-voltage near the band edge deserves the amber margin.

The operating point: the feeder's loads times a load shape (their SimBench profiles when the grid
has them, else the residential shape of :mod:`~tdcoord.der.fleet_profiles`), static generation
times its profile (clear-sky PV shape for PV without profile, else its nominal output), plus the
baseline of every DER not embedded in the grid data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from tdcoord.der.base import Flexibility
from tdcoord.der.errors import DerError
from tdcoord.der.fleet import Fleet
from tdcoord.der.prequalification import PrequalificationResult, TrafficLight
from tdcoord.grid.model import Feeder, GridModel
from tdcoord.market.products import Product
from tdcoord.opf.linear import (
    branch_flows,
    path_impedance_columns,
    voltage_drop,
)
from tdcoord.types import BoolArray, FloatArray, IntArray

#: Documented agreement of LinDistFlow voltages with AC power flow on the bundled MV feeders
#: (CIGRE MV, voltages >= 0.9 pu; the error grows with loading since losses are ignored: 0.065 pu
#: at 0.80 pu, where the light is red either way).
LINDISTFLOW_TOL_V_PU = 0.02

_GREEN, _AMBER, _RED = 0, 1, 2
_LIGHTS = (TrafficLight.GREEN, TrafficLight.AMBER, TrafficLight.RED)
#: Tolerances below which a change does not count as creating/worsening a violation.
_V_TOL = 1e-6
_LOAD_TOL = 1e-6
#: Elements per (rows × columns × intervals) block.
_BLOCK = 3_000_000

#: Activation cases evaluated: name → (sign of p, sign of q).
CASES: dict[str, tuple[float, float]] = {
    "up": (1.0, 0.0),
    "down": (-1.0, 0.0),
    "q_up": (0.0, 1.0),
    "q_down": (0.0, -1.0),
}


@dataclass(frozen=True, eq=False)
class FeederNetwork:
    """LinDistFlow data of one feeder (see module doc), with the virtual head branch last."""

    feeder: Feeder
    path: Any  # sparse (n, n_br + 1)
    r_pu: FloatArray
    x_pu: FloatArray
    rating_mva: FloatArray
    names: tuple[str, ...]
    v_min_pu: FloatArray
    v_max_pu: FloatArray

    @classmethod
    def of(cls, feeder: Feeder, head_rating_mva: float = np.inf) -> FeederNetwork:
        from tdcoord.grid.topology import path_matrix

        n = feeder.n_node
        b = path_matrix(feeder).tocsc()
        head = sp.csc_matrix(np.r_[0.0, np.ones(n - 1)][:, None])
        rating = min(head_rating_mva, feeder.substation_rating_mva)
        return cls(
            feeder,
            sp.hstack([b, head]).tocsr(),
            np.r_[feeder.branches.r_pu, 0.0],
            np.r_[feeder.branches.x_pu, 0.0],
            np.r_[feeder.branches.rating_mva, rating],
            (*(str(x) for x in feeder.branches.name), "feeder head"),
            np.asarray(feeder.nodes.v_min_pu, dtype=np.float64),
            np.asarray(feeder.nodes.v_max_pu, dtype=np.float64),
        )

    def state(self, p_mw: FloatArray, q_mvar: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Squared voltages ``(n, ...)`` and branch |S| in MVA ``(n_br+1, ...)`` for node
        injections ``(n, ...)`` (any trailing shape)."""
        shape = p_mw.shape
        p2 = p_mw.reshape(shape[0], -1)
        q2 = q_mvar.reshape(shape[0], -1)
        pbr = branch_flows(self.path, p2)
        qbr = branch_flows(self.path, q2)
        drop = voltage_drop(self.path, self.r_pu, self.x_pu, pbr, qbr)
        v2 = self.feeder.v_root_pu**2 - 2.0 * drop / self.feeder.base_mva
        s = np.hypot(pbr, qbr)
        return (
            np.asarray(v2, dtype=np.float64).reshape(shape),
            np.asarray(s, dtype=np.float64).reshape((s.shape[0], *shape[1:])),
        )


def _profile_factors(grid: GridModel, names: Any, fallback: FloatArray, start: int) -> FloatArray:
    from tdcoord.der.fleet_simbench import profile_factors

    return profile_factors(grid.profiles, names, fallback, start, fallback.size)


def operating_point(
    grid: GridModel,
    feeder_index: int,
    fleet: Fleet | None,
    n_intervals: int = 96,
    dt_h: float = 0.25,
    *,
    season: str = "winter",
    start_interval: int = 0,
    fleet_p_mw: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Net injection per node row and interval ``(n, T)`` in MW and Mvar (see module doc)."""
    from tdcoord.der.fleet_profiles import clear_sky_pv, load_shape

    f = grid.feeders[feeder_index]
    n, T = f.n_node, n_intervals
    res = load_shape("residential", season, T, dt_h)  # type: ignore[arg-type]
    pv = clear_sky_pv(T, dt_h, season=season)  # type: ignore[arg-type]
    p = np.zeros((n, T))
    q = np.zeros((n, T))
    if len(f.loads):
        fac = _profile_factors(grid, f.loads.profile, res, start_interval)
        rows = f.node_rows(f.loads.bus)
        np.add.at(p, rows, -f.loads.p_mw[:, None] * fac)
        np.add.at(q, rows, -f.loads.q_mvar[:, None] * fac)
    if len(f.sgens):
        is_pv = np.char.lower(f.sgens.kind.astype(str)) == "pv"
        fallback = np.where(is_pv[:, None], pv[None, :], 1.0)
        fac = _profile_factors(grid, f.sgens.profile, np.ones(T), start_interval)
        no_prof = np.asarray([s == "" for s in f.sgens.profile.astype(str)], dtype=bool)
        fac = np.where(no_prof[:, None], fallback, fac)
        rows = f.node_rows(f.sgens.bus)
        np.add.at(p, rows, f.sgens.p_mw[:, None] * fac)
        np.add.at(q, rows, f.sgens.q_mvar[:, None] * fac)
    if fleet is not None and fleet.n_der:
        p += fleet.net_injection_by_node(
            feeder_index, n, fleet_p_mw, n_intervals=T, dt_h=dt_h, include_embedded=False
        )
    return p, q


def _base(net: FeederNetwork, base_p: FloatArray, base_q: FloatArray) -> dict[str, Any]:
    """Base-case squared voltages, branch flows and existing violations of one feeder."""
    pbr = -(net.path.T @ base_p)
    qbr = -(net.path.T @ base_q)
    v2b, sb = net.state(base_p, base_q)
    vb = np.sqrt(np.maximum(v2b, 0.0))
    vmax, vmin = net.v_max_pu[:, None], net.v_min_pu[:, None]
    exc_v = np.maximum(vb - vmax, 0.0) + np.maximum(vmin - vb, 0.0)
    exc_s = np.maximum(sb / net.rating_mva[:, None] - 1.0, 0.0)
    return {
        "v2": v2b,
        "pbr": np.asarray(pbr),
        "qbr": np.asarray(qbr),
        "exc_v": exc_v,
        "exc_s": exc_s,
        "violated": bool(exc_v.max(initial=0.0) > _V_TOL or exc_s.max(initial=0.0) > _LOAD_TOL),
    }


def _evaluate(
    net: FeederNetwork,
    base: dict[str, Any],
    dv2: FloatArray,
    dpbr: FloatArray,
    dqbr: FloatArray | None,
    margin_v_pu: float,
    margin_loading: float,
) -> dict[str, Any]:
    """Worst voltage and loading of ``c`` columns given their changes of squared voltage
    ``dv2`` ``(n, c, T)`` and of branch flows ``dpbr``/``dqbr`` ``(n_br+1, c, T)``."""
    v2 = base["v2"][:, None, :] + dv2
    vmax2 = (net.v_max_pu**2)[:, None, None]
    vmin2 = (net.v_min_pu**2)[:, None, None]
    v = np.sqrt(np.maximum(v2, 0.0))
    exc_v = np.maximum(v - net.v_max_pu[:, None, None], 0.0) + np.maximum(
        net.v_min_pu[:, None, None] - v, 0.0
    )
    worse_v = (exc_v > base["exc_v"][:, None, :] + _V_TOL).any(axis=(0, 2))
    pbr = base["pbr"][:, None, :] + dpbr
    qbr = base["qbr"][:, None, :] + (0.0 if dqbr is None else dqbr)
    load = np.hypot(pbr, qbr) / net.rating_mva[:, None, None]
    worse_s = (np.maximum(load - 1.0, 0.0) > base["exc_s"][:, None, :] + _LOAD_TOL).any(axis=(0, 2))
    c, T = dv2.shape[1], dv2.shape[2]
    idx = np.arange(c)
    dist2 = np.minimum(vmax2 - v2, v2 - vmin2).transpose(1, 0, 2).reshape(c, -1)
    k = np.argmin(dist2, axis=1)
    v_node, v_t = np.divmod(k, T)
    v_worst = v.transpose(1, 0, 2).reshape(c, -1)[idx, k]
    vmax_k, vmin_k = net.v_max_pu[v_node], net.v_min_pu[v_node]
    v_margin = np.minimum(vmax_k - v_worst, v_worst - vmin_k)
    lflat = load.transpose(1, 0, 2).reshape(c, -1)
    kl = np.argmax(lflat, axis=1)
    l_br, l_t = np.divmod(kl, T)
    l_worst = lflat[idx, kl]
    return {
        "worse_v": worse_v,
        "worse_s": worse_s,
        "v_worst": v_worst,
        "v_node": v_node,
        "v_t": v_t,
        "l_worst": l_worst,
        "l_br": l_br,
        "l_t": l_t,
        "near": (v_margin < margin_v_pu) | (l_worst > 1.0 - margin_loading),
    }


def _sensitivities(
    net: FeederNetwork, nodes: IntArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Columns of ``2 R_path / S_base`` and ``2 X_path / S_base`` for ``nodes`` ``(n, u)`` and
    the path rows ``B[nodes, :]ᵀ`` ``(n_br+1, u)``."""
    bu = net.path[nodes].T.tocsc()
    r = path_impedance_columns(net.path, net.r_pu, bu)
    x = path_impedance_columns(net.path, net.x_pu, bu)
    scale = 2.0 / net.feeder.base_mva
    return scale * r, scale * x, np.asarray(bu.todense())


def _changes(
    net: FeederNetwork,
    cols_node: IntArray | None,
    dp: FloatArray,
    dq: FloatArray,
    sens: tuple[FloatArray, FloatArray, FloatArray] | None,
) -> tuple[FloatArray, FloatArray, FloatArray | None]:
    """Changes of V², P_br, Q_br for single DERs (``cols_node``, ``dp`` ``(c, T)``) or for
    node-injection blocks (``dp`` ``(n, c, T)``)."""
    if cols_node is not None and sens is not None:
        a, xs, bt = sens
        an, xn, bn = a[:, cols_node], xs[:, cols_node], bt[:, cols_node]
        dv2 = an[:, :, None] * dp[None, :, :]
        has_q = bool(np.any(dq))
        if has_q:
            dv2 = dv2 + xn[:, :, None] * dq[None, :, :]
        dpbr = -bn[:, :, None] * dp[None, :, :]
        dqbr = -bn[:, :, None] * dq[None, :, :] if has_q else None
        return dv2, dpbr, dqbr
    n, c, T = dp.shape
    dpbr = branch_flows(net.path, dp.reshape(n, -1))
    dqbr = branch_flows(net.path, dq.reshape(n, -1))
    drop = voltage_drop(net.path, net.r_pu, net.x_pu, dpbr, dqbr)
    dv2 = -2.0 * np.asarray(drop) / net.feeder.base_mva
    m = dpbr.shape[0]
    return dv2.reshape(n, c, T), dpbr.reshape(m, c, T), dqbr.reshape(m, c, T)


def _thresholds(
    net: FeederNetwork,
    base: dict[str, Any],
    sens: FloatArray,
    bt: FloatArray,
    sign: float,
    reactive: bool,
    margin_v_pu: float = 0.0,
    margin_loading: float = 0.0,
) -> tuple[FloatArray, FloatArray]:
    """Smallest activation magnitude ``x >= 0`` (MW or Mvar) per unique node and interval
    ``(u, T)`` that creates or worsens a voltage (first) or a loading (second) violation.

    LinDistFlow is linear in ``x``: ``V²_j = V²_b,j + sign · s_j · x``, so the voltage threshold is
    ``min_j (lim_j² − V²_b,j) / s_j`` over nodes with ``s_j > 0``, with ``lim`` the limit in the
    direction of the change (or the present value plus a tolerance when already beyond it).
    Branch ``b`` on the node's path carries ``P_b − sign · x`` (``Q`` for reactive); ``|S|`` is
    convex in ``x`` and exceeds ``L = max(rating, |S_b|)`` from ``x = sign·P_b +
    sqrt(L² − Q_b²)`` on. With margins, the same thresholds for the tightened limits.
    """
    vb = np.sqrt(np.maximum(base["v2"], 0.0))
    if sign > 0:
        lim = np.maximum(net.v_max_pu[:, None] - margin_v_pu, vb) + _V_TOL
        room = lim**2 - base["v2"]  # (n, T) >= 0
    else:
        lim = np.maximum(np.minimum(net.v_min_pu[:, None] + margin_v_pu, vb) - _V_TOL, 0.0)
        room = base["v2"] - lim**2
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(sens[:, :, None] > 1e-15, room[:, None, :] / sens[:, :, None], np.inf)
    x_v = ratio.min(axis=0)  # (u, T)
    along = base["qbr"] if reactive else base["pbr"]
    across = base["pbr"] if reactive else base["qbr"]
    s0 = np.hypot(along, across)
    rating = net.rating_mva[:, None] * (1.0 - margin_loading)
    big = np.maximum(rating, s0) + _LOAD_TOL * net.rating_mva[:, None]
    x_b = sign * along + np.sqrt(np.maximum(big**2 - across**2, 0.0))  # (n_br+1, T)
    x_b = np.maximum(x_b, 0.0)
    on_path = bt[:, :, None] > 0.5  # (n_br+1, u, 1)
    x_s = np.where(on_path, x_b[:, None, :], np.inf).min(axis=0)
    return np.asarray(x_v), np.asarray(x_s)


def _case_names(product: Product) -> list[str]:
    if product.reactive:
        return [("q_up" if d == "up" else "q_down") for d in product.directions]
    return list(product.directions)


@dataclass(frozen=True, eq=False)
class GridPrequalification:
    """Lights per DER (rows in fleet order) and activation case; see :meth:`result`."""

    fleet: Fleet
    grid: GridModel
    cases: dict[str, dict[str, Any]]
    settings: dict[str, Any]

    def light_codes(self, product: Product) -> npt.NDArray[np.int64]:
        """0 green / 1 amber / 2 red per DER for ``product`` (worst of its directions)."""
        names = _case_names(product)
        missing = [n for n in names if n not in self.cases]
        if missing:
            raise DerError(
                f"case {missing[0]!r} was not evaluated",
                where="grid prequalification",
                fix="include the product when calling grid_prequalify",
            )
        codes = np.max(np.vstack([self.cases[n]["light"] for n in names]), axis=0)
        return np.asarray(codes, dtype=np.int64)

    def lights(self, product: Product) -> list[TrafficLight]:
        return [_LIGHTS[int(c)] for c in self.light_codes(product)]

    def counts(self, product: Product) -> dict[str, int]:
        codes = self.light_codes(product)
        return {str(_LIGHTS[i]): int((codes == i).sum()) for i in range(3)}

    def worst(self, row: int, case: str) -> dict[str, Any]:
        """Worst voltage and loading of DER ``row`` under ``case`` (dense LinDistFlow)."""
        fi = int(self.fleet.feeder[row])
        st = self.settings
        f = self.grid.feeders[fi]
        net = FeederNetwork.of(f, _head_ratings(self.grid).get(f.id, np.inf))
        bp, bq = operating_point(
            self.grid,
            fi,
            self.fleet,
            st["n_intervals"],
            st["dt_h"],
            season=st["season"],
            start_interval=st["start_interval"],
        )
        flex = st["flex"]
        sp_sign, sq_sign = CASES[case]
        mag = flex.up_mw if sp_sign > 0 else flex.down_mw
        dp = np.zeros((f.n_node, 1, st["n_intervals"]))
        dq = np.zeros_like(dp)
        node = int(self.fleet.node[row])
        dp[node, 0] = sp_sign * mag[row]
        dq[node, 0] = sq_sign * flex.q_max_mvar[row]
        ev = _evaluate(
            net,
            _base(net, bp, bq),
            *_changes(net, None, dp, dq, None),
            st["margin_v_pu"],
            st["margin_loading"],
        )
        return {
            "v_pu": float(ev["v_worst"][0]),
            "node": int(f.nodes.id[int(ev["v_node"][0])]),
            "v_interval": int(ev["v_t"][0]),
            "loading": float(ev["l_worst"][0]),
            "branch": net.names[int(ev["l_br"][0])],
            "loading_interval": int(ev["l_t"][0]),
        }

    def reasons(self, row: int, product: Product) -> tuple[str, ...]:
        """Human-readable reasons of DER ``row`` for ``product`` (empty when green)."""
        out: list[str] = []
        if int(self.fleet.feeder[row]) < 0:
            return ()
        for n in _case_names(product):
            c = self.cases[n]
            code = int(c["light"][row])
            if code == _GREEN:
                continue
            w = self.worst(row, n)
            v_txt = (
                f"full {n} activation: worst voltage {w['v_pu']:.4f} pu at node {w['node']} "
                f"(interval {w['v_interval']})"
            )
            s_txt = (
                f"full {n} activation: loading {100 * w['loading']:.1f} % of {w['branch']!r} "
                f"(interval {w['loading_interval']})"
            )
            if code == _RED:
                if c["worse_v"][row]:
                    out.append(v_txt + ": violates the voltage band")
                if c["worse_s"][row]:
                    out.append(s_txt + ": exceeds the rating")
                continue
            if c["reactive_fix"][row]:
                out.append(v_txt + ": violates the band; qualifies only with reactive support")
            elif c["near"][row]:
                out.append(
                    f"{v_txt}; {s_txt}: within the margin "
                    f"({self.settings['margin_v_pu']:g} pu / "
                    f"{100 * self.settings['margin_loading']:g} %)"
                )
            if c["base_violation"][row]:
                out.append("the feeder violates a limit even without this activation")
        return tuple(dict.fromkeys(out))

    def result(self, row: int, product: Product) -> PrequalificationResult:
        """The grid prequalification result (``kind="grid"``) for the registry."""
        code = int(self.light_codes(product)[row])
        return PrequalificationResult(
            str(self.fleet.der_id[row]),
            product.id,
            _LIGHTS[code],
            self.reasons(row, product),
            kind="grid",
        )


def _head_ratings(grid: GridModel) -> dict[str, float]:
    itf = grid.interfaces
    return {str(f): float(r) for f, r in zip(itf.feeder, itf.rating_mva, strict=True)}


def _empty_case(n_der: int) -> dict[str, Any]:
    return {
        key: np.zeros(n_der, dtype=np.int64 if key == "light" else bool)
        for key in ("light", "worse_v", "worse_s", "near", "reactive_fix", "base_violation")
    }


@dataclass(frozen=True, eq=False)
class _FeederRun:
    """One feeder's network, operating point and DERs (rows of the fleet, their node rows)."""

    net: FeederNetwork
    base: dict[str, Any]
    members: IntArray
    nodes: IntArray
    n_intervals: int


def _with_reactive(run: _FeederRun, k: IntArray, dp: FloatArray, dq: FloatArray) -> BoolArray:
    """Whether each DER ``k`` (local) is free of violations when it activates ``dp`` together
    with the reactive power ``dq`` (dense evaluation, in chunks)."""
    net, base, n_int = run.net, run.base, run.n_intervals
    n_node = net.feeder.n_node
    nodes = run.nodes[k]
    ok = np.zeros(k.size, dtype=bool)
    step = max(1, _BLOCK // (max(n_node, len(net.names)) * n_int))
    for c0 in range(0, k.size, step):  # chunks of the few red inverter DERs
        sl = slice(c0, c0 + step)
        cols = np.arange(nodes[sl].size)
        dpn = np.zeros((n_node, cols.size, n_int))
        dqn = np.zeros_like(dpn)
        dpn[nodes[sl], cols] = dp[sl]
        dqn[nodes[sl], cols] = dq[sl]
        ev2 = _evaluate(net, base, *_changes(net, None, dpn, dqn, None), 0.0, 0.0)
        ok[sl] = ~ev2["worse_v"] & ~ev2["worse_s"]
    return ok


def _case_flags(
    run: _FeederRun,
    name: str,
    flex: Flexibility,
    grp: IntArray | None,
    reactive: BoolArray,
    margins: tuple[float, float],
) -> dict[str, Any]:
    """Traffic light and flags of the feeder's DERs for one activation case (module doc)."""
    sp_sign, sq_sign = CASES[name]
    is_q = sq_sign != 0
    sign = sq_sign if is_q else sp_sign
    q_max = flex.q_max_mvar
    assert q_max is not None
    members = run.members
    pick = q_max if is_q else (flex.up_mw if sp_sign > 0 else flex.down_mw)
    mag = pick[members]
    if grp is None:
        ev = _singles(run.net, run.base, run.nodes, mag, sign, is_q, margins)
    else:
        ev = _groups(run.net, run.base, run.nodes, grp[members], mag, (sp_sign, sq_sign), margins)
    red = ev["worse_v"] | ev["worse_s"]
    fix = np.zeros(members.size, dtype=bool)
    can_q = red & ~ev["worse_s"] & reactive[members] & (not is_q) & (grp is None)
    if can_q.any():
        k = np.flatnonzero(can_q)
        # absorb when raising V, inject when lowering
        fix[k] = _with_reactive(run, k, sp_sign * mag[k], -sp_sign * q_max[members[k]])
    light = np.where(red & ~fix, _RED, np.where(fix | ev["near"], _AMBER, _GREEN))
    if run.base["violated"]:
        light = np.maximum(light, _AMBER)
    return {**ev, "light": light, "reactive_fix": fix}


def grid_prequalify(  # noqa: PLR0913  (keyword-only options of the public entry point)
    grid: GridModel,
    fleet: Fleet,
    products: Sequence[Product],
    *,
    n_intervals: int = 96,
    dt_h: float = 0.25,
    season: str = "winter",
    start_interval: int = 0,
    margin_v_pu: float = 0.01,
    margin_loading: float = 0.1,
    groups: npt.ArrayLike | None = None,
) -> GridPrequalification:
    """Traffic lights of every DER of ``fleet`` for ``products`` (see the module doc).

    Single DERs use exact LinDistFlow thresholds (:func:`_thresholds`: one comparison per DER and
    interval). ``groups`` (one integer per DER, −1 = alone) activates all members of a group at
    once (dense evaluation); every member gets its group's light. Transmission-connected DERs
    (feeder −1) are not under a DSO and stay green.
    """
    flex = fleet.flexibility(n_intervals, dt_h)
    q_max = flex.q_max_mvar if flex.q_max_mvar is not None else np.zeros_like(flex.up_mw)
    flex_q = Flexibility(flex.up_mw, flex.down_mw, q_max)
    grp = None if groups is None else np.asarray(groups, dtype=np.int64)
    if grp is not None and grp.shape != (fleet.n_der,):
        raise DerError(
            f"groups has shape {grp.shape}", fix=f"give one group index per DER ({fleet.n_der})"
        )
    names: list[str] = []
    for prod in products:
        names += [n for n in _case_names(prod) if n not in names]
    heads = _head_ratings(grid)
    out = {name: _empty_case(fleet.n_der) for name in names}
    p_base = fleet.baseline_p_mw(n_intervals, dt_h)
    reactive = fleet.reactive_capable
    for fi, f in enumerate(grid.feeders):  # one iteration per feeder
        members = np.flatnonzero(fleet.feeder == fi)
        if members.size == 0:
            continue
        net = FeederNetwork.of(f, heads.get(f.id, np.inf))
        point = operating_point(
            grid, fi, fleet, n_intervals, dt_h,
            season=season, start_interval=start_interval, fleet_p_mw=p_base,
        )
        run = _FeederRun(net, _base(net, *point), members, fleet.node[members], n_intervals)
        for name in names:
            flags = _case_flags(run, name, flex_q, grp, reactive, (margin_v_pu, margin_loading))
            for key in ("light", "worse_v", "worse_s", "near", "reactive_fix"):
                out[name][key][members] = flags[key]
            out[name]["base_violation"][members] = run.base["violated"]
    settings = {
        "n_intervals": n_intervals,
        "dt_h": dt_h,
        "season": season,
        "start_interval": start_interval,
        "margin_v_pu": margin_v_pu,
        "margin_loading": margin_loading,
        "flex": flex_q,
    }
    return GridPrequalification(fleet, grid, out, settings)


def _singles(
    net: FeederNetwork,
    base: dict[str, Any],
    nodes: IntArray,
    mag: FloatArray,
    sign: float,
    is_q: bool,
    margins: tuple[float, float],
) -> dict[str, Any]:
    """Flags of single DERs from the thresholds of their nodes (``mag`` ``(m, T)`` >= 0);
    ``margins = (margin_v_pu, margin_loading)`` of the amber light."""
    margin_v_pu, margin_loading = margins
    uniq, col = np.unique(nodes, return_inverse=True)
    a, x, bt = _sensitivities(net, uniq)
    sens = x if is_q else a
    xv, xs = _thresholds(net, base, sens, bt, sign, is_q)
    nv, ns = _thresholds(net, base, sens, bt, sign, is_q, margin_v_pu, margin_loading)
    tol = 1e-9
    act = mag > tol
    return {
        "worse_v": (act & (mag > xv[col] + tol)).any(axis=1),
        "worse_s": (act & (mag > xs[col] + tol)).any(axis=1),
        "near": (act & ((mag > nv[col] + tol) | (mag > ns[col] + tol))).any(axis=1),
    }


def _groups(
    net: FeederNetwork,
    base: dict[str, Any],
    nodes: IntArray,
    grp: IntArray,
    mag: FloatArray,
    signs: tuple[float, float],
    margins: tuple[float, float],
) -> dict[str, Any]:
    """Flags of groups (all members at once), dense LinDistFlow, copied to every member
    (``signs`` of the active and reactive activation; ``margins`` as :func:`_singles`)."""
    sp_sign, sq_sign = signs
    margin_v_pu, margin_loading = margins
    key = np.where(grp >= 0, grp, -1 - np.arange(grp.size))
    _, col = np.unique(key, return_inverse=True)
    n_col = int(col.max()) + 1
    n, T = net.feeder.n_node, mag.shape[1]
    flags = {k: np.zeros(n_col, dtype=bool) for k in ("worse_v", "worse_s", "near")}
    step = max(1, _BLOCK // (max(n, len(net.names)) * T))
    for c0 in range(0, n_col, step):  # chunks of groups
        c1 = min(n_col, c0 + step)
        sel = (col >= c0) & (col < c1)
        dp = np.zeros((n, c1 - c0, T))
        dq = np.zeros_like(dp)
        np.add.at(dp, (nodes[sel], col[sel] - c0), sp_sign * mag[sel])
        np.add.at(dq, (nodes[sel], col[sel] - c0), sq_sign * mag[sel])
        ev = _evaluate(net, base, *_changes(net, None, dp, dq, None), margin_v_pu, margin_loading)
        for k in flags:
            flags[k][c0:c1] = ev[k]
    return {k: v[col] for k, v in flags.items()}


def hosting_headroom_mw(pq: GridPrequalification, case: str, rows: npt.ArrayLike) -> FloatArray:
    """Hosting headroom ``(len(rows), T)`` of DERs ``rows`` (fleet order) in activation ``case``
    (``"up"``, ``"down"``, ``"q_up"``, ``"q_down"``): the largest activation magnitude, per
    interval, that keeps the feeder out of the amber margins — the smaller of the LinDistFlow
    voltage and loading thresholds of :func:`_thresholds` with ``margin_v_pu`` and
    ``margin_loading`` (single-DER activation on the operating point of :func:`grid_prequalify`;
    seed 000 §1.3, seed 001 §IV: the DSO's conditional prequalification). Transmission-connected
    DERs have unlimited headroom (``inf``)."""
    if case not in CASES:
        raise DerError(f"unknown activation case {case!r}", fix=f"use one of {sorted(CASES)}")
    st, fleet = pq.settings, pq.fleet
    idx = np.asarray(rows, dtype=np.int64).ravel()
    out = np.full((idx.size, st["n_intervals"]), np.inf)
    sp_sign, sq_sign = CASES[case]
    is_q = sq_sign != 0
    sign = sq_sign if is_q else sp_sign
    heads = _head_ratings(pq.grid)
    p_base = fleet.baseline_p_mw(st["n_intervals"], st["dt_h"])
    for fi in np.unique(fleet.feeder[idx]).tolist():  # one iteration per feeder
        if fi < 0:
            continue
        f = pq.grid.feeders[fi]
        net = FeederNetwork.of(f, heads.get(f.id, np.inf))
        point = operating_point(
            pq.grid, fi, fleet, st["n_intervals"], st["dt_h"], season=st["season"],
            start_interval=st["start_interval"], fleet_p_mw=p_base,
        )
        here = np.flatnonzero(fleet.feeder[idx] == fi)
        uniq, col = np.unique(fleet.node[idx[here]], return_inverse=True)
        a, x, bt = _sensitivities(net, uniq)
        xv, xs = _thresholds(
            net, _base(net, *point), x if is_q else a, bt, sign, is_q,
            st["margin_v_pu"], st["margin_loading"],
        )
        out[here] = np.minimum(xv, xs)[col.ravel()]
    return out
