"""Assembly of the monolithic joint T+D program from the transmission and feeder formulations.

The program is the transmission DC-OPF of :func:`tdcoord.opf.transmission.build_dcopf` (all periods,
every slack) and one LinDistFlow program per feeder from
:func:`tdcoord.opf.feeder.program.build_program`, stacked block-diagonally, plus one coupling term
per
feeder and period: the feeder's root import :math:`p^{root}_{ft}` is a withdrawal at its
interface bus :math:`b(f)`,

.. math::

    \\sum_{g@b} p_{gt} + \\dots - \\sum_{f: b(f) = b} p^{root}_{ft} = D_{bt}
    \\qquad(\\text{dual } \\Delta t\\,\\lambda_{bt}: \\text{the LMP}).

The feeder programs are built with a zero root price (energy is paid through the transmission
balance) and with their substation limit set to the interface-transformer rating (polygon on
:math:`(p^{root}, q^{root})`, overload slack at the thermal penalty). Stationarity of the free
column :math:`p^{root}_{ft}` then gives the interface invariant (seed 000 §1.4; Papavasiliou
2018 for the DLMP form)

.. math::

    \\lambda^{D}_{f,root,t} = \\lambda_{b(f)t}
        - \\textstyle\\sum_k a_{p,k}\\,\\kappa_{fkt}/\\Delta t ,

i.e. the root DLMP is the interface LMP plus the interface-transformer congestion component
(the duals :math:`\\kappa \\le 0` of the interface polygon rows).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from tdcoord.opf.feeder.program import FeederProgram, LossPoint, build_program
from tdcoord.opf.joint.case import JointCase
from tdcoord.opf.lp import LinearProgram
from tdcoord.opf.transmission import DcOpfModel, build_dcopf
from tdcoord.types import FloatArray, IntArray


@dataclasses.dataclass(frozen=True, eq=False)
class JointProgram:
    """The stacked program and where each part lives in it."""

    lp: LinearProgram
    transmission: DcOpfModel
    feeders: tuple[FeederProgram, ...]
    col_start: IntArray
    """First column of each part (transmission first, then the feeders), plus the total."""
    row_start: IntArray
    interface_row: IntArray
    """Transmission bus row of each feeder's interface."""
    build_s: float

    def part_cols(self, k: int) -> slice:
        """Columns of part k (0 = transmission, 1 + f = feeder f)."""
        return slice(int(self.col_start[k]), int(self.col_start[k + 1]))

    def part_rows(self, k: int) -> slice:
        """Rows of part k."""
        return slice(int(self.row_start[k]), int(self.row_start[k + 1]))


def stack_programs(
    parts: Sequence[LinearProgram], coupling: sp.coo_matrix | None = None
) -> tuple[LinearProgram, IntArray, IntArray]:
    """Block-diagonal stack of ``parts`` plus ``coupling`` entries (global row/column indices).

    Returns the program and the column / row offsets of every part (with the totals appended).
    Block names are prefixed with the part number (``"0:balance"``, ``"3:p_root"``).
    """
    col_start = np.cumsum([0] + [p.n_col for p in parts]).astype(np.int64)
    row_start = np.cumsum([0] + [p.n_row for p in parts]).astype(np.int64)
    A = sp.csr_matrix(sp.block_diag([p.A for p in parts], format="csr"))
    if coupling is not None and coupling.nnz:
        A = sp.csr_matrix(A + coupling.tocsr())
    hess = [p.hessian for p in parts]
    hessian = None
    if any(h is not None for h in hess):
        hessian = sp.csc_matrix(
            sp.block_diag(
                [h if h is not None else sp.csc_matrix((p.n_col, p.n_col)) for h, p in zip(
                    hess, parts, strict=True)],
                format="csc",
            )
        )
    col_blocks: dict[str, slice] = {}
    row_blocks: dict[str, slice] = {}
    for k, p in enumerate(parts):
        c0, r0 = int(col_start[k]), int(row_start[k])
        for name, s in p.col_blocks.items():
            col_blocks[f"{k}:{name}"] = slice(s.start + c0, s.stop + c0)
        for name, s in p.row_blocks.items():
            row_blocks[f"{k}:{name}"] = slice(s.start + r0, s.stop + r0)

    def cat(field: str) -> FloatArray:
        return np.concatenate([getattr(p, field) for p in parts]).astype(np.float64)

    lp = LinearProgram(
        cost=cat("cost"),
        A=A,
        row_lower=cat("row_lower"),
        row_upper=cat("row_upper"),
        col_lower=cat("col_lower"),
        col_upper=cat("col_upper"),
        hessian=hessian,
        offset=float(sum(p.offset for p in parts)),
        col_blocks=col_blocks,
        row_blocks=row_blocks,
    )
    return lp, col_start, row_start


def build_transmission(case: JointCase, *, per_period: bool) -> DcOpfModel:
    """The transmission DC-OPF of the joint case (feeders enter through coupling columns)."""
    return build_dcopf(
        case.transmission,
        convention=case.convention,
        n_periods=case.n_periods,
        load_mw=case.load_mw,
        period_hours=case.period_hours,
        voll_eur_per_mwh=case.voll_eur_per_mwh,
        decompose_periods=per_period,
    )


def build_feeders(
    case: JointCase, loss_points: Sequence[LossPoint | None] | None = None
) -> tuple[FeederProgram, ...]:
    """One LinDistFlow program per feeder (zero root price, interface limit as substation)."""
    points = loss_points if loss_points is not None else [None] * case.n_feeders
    return tuple(
        build_program(c, case.options, model="lindistflow", loss_point=p)
        for c, p in zip(case.feeder_cases, points, strict=True)
    )


def build_joint(
    case: JointCase, loss_points: Sequence[LossPoint | None] | None = None
) -> JointProgram:
    """Assemble the monolithic joint program (all periods, all feeders; module docstring)."""
    t0 = time.perf_counter()
    tr_model = build_transmission(case, per_period=False)
    feeders = build_feeders(case, loss_points)
    parts = [tr_model.lp, *(f.lp for f in feeders)]
    T, B = case.n_periods, case.transmission.n_bus
    itf_row = case.transmission.bus_rows(case.interface_bus)
    bal = tr_model.lp.row_blocks["balance"]
    col_start = np.cumsum([0] + [p.n_col for p in parts]).astype(np.int64)
    # coupling: −p_root[f, t] in the balance row of (t, interface bus of f)
    F = case.n_feeders
    t_idx = np.tile(np.arange(T), F)
    f_idx = np.repeat(np.arange(F), T)
    root_start = np.array([f.lp.col_blocks["p_root"].start for f in feeders], dtype=np.int64)
    rows = bal.start + t_idx * B + itf_row[f_idx]
    cols = col_start[1 + f_idx] + root_start[f_idx] + t_idx
    n_row = sum(p.n_row for p in parts)
    coupling = sp.coo_matrix(
        (-np.ones(F * T), (rows, cols)), shape=(n_row, int(col_start[-1]))
    )
    lp, cs, rs = stack_programs(parts, coupling)
    return JointProgram(
        lp=lp,
        transmission=tr_model,
        feeders=feeders,
        col_start=cs,
        row_start=rs,
        interface_row=itf_row,
        build_s=time.perf_counter() - t0,
    )
