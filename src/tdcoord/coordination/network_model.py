"""Linear network models around the baseline: PTDF transmission and LinDistFlow feeders.

Transmission (DC power flow, PTDF form; design doc "Mathematics"): with bus injections
:math:`p_t` the branch flows are :math:`f_t = \\Phi p_t` (:meth:`DcNetwork.ptdf`, flows per MW
injected at a bus and withdrawn at the reference). Baseline injection per bus: scheduled
generation − transmission loads − feeder imports. The TSO need ``n_t`` (net load above schedule)
is withdrawn at the transmission load buses in proportion to their baseline load (at the
interface buses when transmission carries no load): share vector ``σ`` with Σσ = 1. A base that
does not balance (real-time loads against the day-ahead schedule, whose mismatch *is* the need) is
first balanced at the same buses, :math:`p \\leftarrow p - σ\\,\\mathbf{1}^\\top p`, so the need is
counted once.

Feeder (LinDistFlow, Baran & Wu 1989, lossless; seed 001 §IV on DLMPs): with the path matrix
:math:`B` (node × branch, :func:`tdcoord.grid.topology.path_matrix`) and its transpose, the
downstream matrix :math:`D = B^\\top`, the branch flows of net withdrawals ``w`` are
:math:`P = D w`, :math:`Q = D w_q` and squared voltages are
:math:`v^2 = v_0^2 - \\tfrac{2}{S_{base}} B(\\mathrm{diag}(r) P + \\mathrm{diag}(x) Q)`. An
injection change Δp, Δq therefore moves them by :math:`\\Delta P = -D\\,\\Delta p` and
:math:`\\Delta v^2 = \\tfrac{2}{S_{base}}(R_{path} \\Delta p + X_{path} \\Delta q)` with
:math:`R_{path} = B\\,\\mathrm{diag}(r) B^\\top` (same for X).
"""

from __future__ import annotations

import dataclasses
import weakref
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from tdcoord.coordination.case import ClearingCase
from tdcoord.grid.model import Feeder, Transmission
from tdcoord.grid.topology import path_matrix
from tdcoord.opf.linear import path_impedance
from tdcoord.opf.transmission.network import DcNetwork, dc_network
from tdcoord.types import FloatArray, IntArray


@dataclasses.dataclass(frozen=True, eq=False)
class TransmissionModel:
    """PTDF, ratings, baseline flows and the location of the imbalance."""

    ptdf: FloatArray  # (n_branch, n_bus)
    rating_mw: FloatArray  # (n_branch,)
    base_injection_mw: FloatArray  # (n_bus, T)
    need_share: FloatArray  # (n_bus,), sums to 1
    gen_bus_row: IntArray
    branch_names: tuple[str, ...]
    #: Share of its rating a branch's baseline flow must reach in some interval to be
    #: constrained in the clearing (the TSO's critical branches); ``None``: every rated branch.
    monitor_loading: float | None = None

    @property
    def n_bus(self) -> int:
        """Number of buses."""
        return int(self.ptdf.shape[1])

    @cached_property
    def base_flow_mw(self) -> FloatArray:
        """Baseline flows (without the imbalance), (n_branch, T)."""
        return np.asarray(self.ptdf @ self.base_injection_mw, dtype=np.float64)

    @cached_property
    def line_rows(self) -> IntArray:
        """Branches constrained in the clearing: rated ones (finite ``rating_mw``) and, with
        ``monitor_loading`` = m, only those with  max_t |f⁰_bt| ≥ m · rating_b  (f⁰ =
        :attr:`base_flow_mw`): a critical-branch list, as TSOs monitor for flow-based market
        coupling, that keeps the line rows (n_line × n_location × T non-zeros) of a
        2,000-bus grid within memory. Validation still checks every branch."""
        rated = np.flatnonzero(np.isfinite(self.rating_mw))
        if self.monitor_loading is None or not rated.size:
            return rated
        peak = np.abs(self.ptdf[rated] @ self.base_injection_mw).max(axis=1)
        return np.asarray(rated[peak >= self.monitor_loading * self.rating_mw[rated]], np.int64)

    def flows_mw(self, delta_injection_mw: FloatArray) -> FloatArray:
        """Flows for injections changed by ``delta_injection_mw`` (n_bus, T)."""
        return np.asarray(self.ptdf @ (self.base_injection_mw + delta_injection_mw))


#: The DC network and dense PTDF of each transmission grid object, computed once: every stage,
#: window and event re-clear of a day builds its clearing on the same (frozen) grid, and the
#: PTDF (one sparse LU solve per bus) was 75 % of a rolling-horizon stage at 2,000 buses. A grid
#: changed by an event (a tripped line) is a new object and gets its own entry; entries go with
#: their grid (weak keys).
_PTDF_BY_GRID: weakref.WeakKeyDictionary[Transmission, tuple[DcNetwork, FloatArray]] = (
    weakref.WeakKeyDictionary()
)


def grid_ptdf(tr: Transmission) -> tuple[DcNetwork, FloatArray]:
    """The matpower-convention :class:`DcNetwork` of ``tr`` and its dense PTDF (branches ×
    buses; read-only), computed once per grid object (:data:`_PTDF_BY_GRID`)."""
    hit = _PTDF_BY_GRID.get(tr)
    if hit is None:
        net = dc_network(tr, "matpower")
        ptdf = net.ptdf()  # tdcoord.opf.linear.ptdf, with the network kept for its reference rows
        ptdf.setflags(write=False)
        hit = (net, ptdf)
        _PTDF_BY_GRID[tr] = hit
    return hit


def transmission_model(case: ClearingCase) -> TransmissionModel:
    """Build the :class:`TransmissionModel` of a case (requires a transmission network)."""
    tr = case.grid.transmission
    assert tr is not None
    net, ptdf = grid_ptdf(tr)
    T = case.n_periods
    inj = np.zeros((tr.n_bus, T))
    g_rows = tr.bus_rows(tr.generators.bus)
    np.add.at(inj, g_rows, case.gen_schedule_mw)
    l_rows = tr.bus_rows(tr.loads.bus)
    np.add.at(inj, l_rows, -case.load_mw)
    np.add.at(inj, case.interface_bus_row, -case.baseline_import_mw)
    share = np.zeros(tr.n_bus)
    base_load = np.maximum(case.load_mw.mean(axis=1), 0.0)
    np.add.at(share, l_rows, base_load)
    if share.sum() <= 0 and case.n_feeders:
        np.add.at(share, case.interface_bus_row, np.maximum(case.baseline_import_mw.mean(1), 0))
    if share.sum() <= 0:
        share[net.ref_rows[0]] = 1.0
    share = share / share.sum()
    # A base that does not balance (actual loads against the day-ahead schedule: the mismatch is
    # the TSO need) is balanced at the need-share buses, so that the need withdrawn by the
    # clearing is not counted twice; a balanced base is unchanged.
    inj = inj - share[:, None] * inj.sum(axis=0)[None, :]
    return TransmissionModel(
        ptdf=ptdf,
        rating_mw=np.asarray(tr.branches.rating_mva, dtype=np.float64),
        base_injection_mw=inj,
        need_share=share,
        gen_bus_row=g_rows,
        branch_names=tuple(str(n) for n in tr.branches.name),
        monitor_loading=case.monitor_loading,
    )


@dataclasses.dataclass(frozen=True, eq=False)
class FeederModel:
    """Sensitivities and baseline state of one feeder (lossless LinDistFlow)."""

    feeder: Feeder
    down: sp.csr_matrix  # D (n_branch, n_node)
    r_path: FloatArray  # (n_node, n_node), pu·(pu base) — multiply by 2/base_mva per MW
    x_path: FloatArray
    base_p_mw: FloatArray  # net withdrawal (n_node, T)
    base_q_mvar: FloatArray

    @property
    def n_node(self) -> int:
        """Number of nodes."""
        return self.feeder.n_node

    @cached_property
    def v_sens_p(self) -> FloatArray:
        """∂v²/∂(injection in MW) = 2 R_path / S_base, (n_node, n_node)."""
        return 2.0 * self.r_path / self.feeder.base_mva

    @cached_property
    def v_sens_q(self) -> FloatArray:
        """∂v²/∂(injection in Mvar) = 2 X_path / S_base."""
        return 2.0 * self.x_path / self.feeder.base_mva

    def state(
        self, dp_mw: FloatArray | None = None, dq_mvar: FloatArray | None = None
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(v² (n_node, T), P (n_branch, T), Q) for injections changed by ``dp``/``dq``."""
        w = self.base_p_mw - (0.0 if dp_mw is None else dp_mw)
        wq = self.base_q_mvar - (0.0 if dq_mvar is None else dq_mvar)
        p = np.asarray(self.down @ w, dtype=np.float64)
        q = np.asarray(self.down @ wq, dtype=np.float64)
        v2 = self.feeder.v_root_pu**2 - (self.v_sens_p @ w + self.v_sens_q @ wq)
        return np.asarray(v2, dtype=np.float64), p, q


def feeder_model(case: ClearingCase, f: int) -> FeederModel:
    """Build the :class:`FeederModel` of feeder ``f`` of a case."""
    return linear_feeder_model(case.grid.feeders[f], case.feeder_p_mw[f], case.feeder_q_mvar[f])


#: Each feeder object's downstream matrix and path impedances (read-only), computed once: they
#: depend on the feeder only, and every clearing of the day rebuilds its feeder models.
_PATHS_BY_FEEDER: weakref.WeakKeyDictionary[
    Feeder, tuple[sp.csr_matrix, FloatArray, FloatArray]
] = weakref.WeakKeyDictionary()


def feeder_paths(fd: Feeder) -> tuple[sp.csr_matrix, FloatArray, FloatArray]:
    """``(D, R_path, X_path)`` of feeder ``fd``: branches × nodes downstream matrix and the
    nodes × nodes shared-path resistance and reactance (:func:`tdcoord.opf.linear.path_impedance`),
    computed once per feeder object (:data:`_PATHS_BY_FEEDER`)."""
    hit = _PATHS_BY_FEEDER.get(fd)
    if hit is None:
        bp = path_matrix(fd)
        dense = bp.toarray()
        r_path = np.asarray(path_impedance(dense, fd.branches.r_pu), dtype=np.float64)
        x_path = np.asarray(path_impedance(dense, fd.branches.x_pu), dtype=np.float64)
        r_path.setflags(write=False)
        x_path.setflags(write=False)
        hit = (sp.csr_matrix(bp.T), r_path, x_path)
        _PATHS_BY_FEEDER[fd] = hit
    return hit


def linear_feeder_model(fd: Feeder, base_p_mw: FloatArray, base_q_mvar: FloatArray) -> FeederModel:
    """The :class:`FeederModel` of feeder ``fd`` around net withdrawals ``base_p_mw`` /
    ``base_q_mvar`` ``(n_node, T)``."""
    down, r_path, x_path = feeder_paths(fd)
    return FeederModel(
        feeder=fd, down=down, r_path=r_path, x_path=x_path, base_p_mw=base_p_mw,
        base_q_mvar=base_q_mvar,
    )
