"""MATPOWER-format arrays (ppc) → tdcoord tables.

Both the MATPOWER reader and the pandapower reader (through pandapower's own ``to_ppc``
conversion, which handles lines, transformers, switches and shunts) end here, so the two sources
give the same model for the same network. Column meanings follow the MATPOWER manual (Zimmerman &
Murillo-Sánchez, *MATPOWER User's Manual*, Tables B-1 to B-4).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from tdcoord.errors import GridError, raise_issues
from tdcoord.grid.components import (
    BranchTable,
    BusTable,
    GeneratorTable,
    LoadTable,
    PwlCostTable,
)
from tdcoord.grid.io.ppc_checks import (
    DEFAULT_V_MAX_PU,
    DEFAULT_V_MIN_PU,
    ppc_issues,
    voltage_band,
)
from tdcoord.grid.tables import StrArray
from tdcoord.types import FloatArray, IntArray

# MATPOWER column indices (0-based)
BUS_I, BUS_TYPE, PD, QD, GS, BS, VM, VA, BASE_KV, VMAX, VMIN = 0, 1, 2, 3, 4, 5, 7, 8, 9, 11, 12
F_BUS, T_BUS, BR_R, BR_X, BR_B, RATE_A, TAP, SHIFT, BR_STATUS, ANGMIN, ANGMAX = (
    0,
    1,
    2,
    3,
    4,
    5,
    8,
    9,
    10,
    11,
    12,
)
GEN_BUS, QMAX, QMIN, GEN_STATUS, PMAX, PMIN = 0, 3, 4, 7, 8, 9
REF, ISOLATED = 3, 4


@dataclasses.dataclass(frozen=True)
class PpcTables:
    """Tables read from ppc arrays, before deciding between transmission and feeder."""

    base_mva: float
    buses: BusTable
    branches: BranchTable
    generators: GeneratorTable
    pwl_costs: PwlCostTable
    bus_p_load_mw: FloatArray
    bus_q_load_mvar: FloatArray


@dataclasses.dataclass(frozen=True)
class PpcNames:
    """Optional ids and names for ppc rows (pandapower sources): bus ids (renaming
    ``bus[:, BUS_I]``), branch ids, names and transformer flags, generator ids and names, and a
    mask of buses to keep."""

    bus_ids: IntArray | None = None
    branch_ids: IntArray | None = None
    branch_names: StrArray | None = None
    branch_is_transformer: npt.NDArray[np.bool_] | None = None
    gen_ids: IntArray | None = None
    gen_names: StrArray | None = None
    keep_bus: npt.NDArray[np.bool_] | None = None


def _col(a: npt.NDArray[np.float64], j: int, default: float) -> FloatArray:
    if a.shape[1] > j:
        return np.asarray(a[:, j], dtype=np.float64)
    return np.full(a.shape[0], default)


def _bus_rows(numbers: IntArray) -> Callable[[FloatArray, str], IntArray]:
    """Row of each referenced bus number (unknown numbers: every one listed in one error)."""
    number_to_row = {int(n): i for i, n in enumerate(numbers)}

    def rows_of(nums: FloatArray, what: str) -> IntArray:
        ints = nums.astype(np.int64)
        out = np.fromiter((number_to_row.get(int(n), -1) for n in ints), np.int64, len(ints))
        bad = np.flatnonzero(out < 0)
        if bad.size:
            raise GridError(
                f"{what} row {int(bad[0]) + 1} refers to unknown bus {int(ints[bad[0]])}",
                where=f"{what} rows {[int(k) + 1 for k in bad[:5]]}",
                fix="correct the bus number or add the bus",
            )
        return out

    return rows_of


def _bus_table(bus: FloatArray, ids: IntArray) -> BusTable:
    vmin, vmax, issues = voltage_band(
        _col(bus, VMIN, DEFAULT_V_MIN_PU), _col(bus, VMAX, DEFAULT_V_MAX_PU), ids.astype(float)
    )
    raise_issues(GridError, "invalid bus data", issues)
    base_kv = _col(bus, BASE_KV, 0.0)
    return BusTable(
        id=ids,
        vn_kv=np.where(base_kv > 0, base_kv, np.inf),  # unknown base voltage: no plausibility
        v_min_pu=vmin,
        v_max_pu=vmax,
        gs_mw=_col(bus, GS, 0.0),
        bs_mvar=_col(bus, BS, 0.0),
        is_reference=bus[:, BUS_TYPE] == REF,
    )


def _branch_table(
    branch: FloatArray,
    from_bus: IntArray,
    to_bus: IntArray,
    branch_ids: IntArray | None,
    branch_names: StrArray | None,
    branch_is_transformer: npt.NDArray[np.bool_] | None,
) -> BranchTable:
    n_branch = len(branch)
    rate = _col(branch, RATE_A, 0.0)
    tap = _col(branch, TAP, 0.0)
    angmin = _col(branch, ANGMIN, -360.0)
    angmax = _col(branch, ANGMAX, 360.0)
    is_trafo = (
        np.asarray(branch_is_transformer, dtype=bool)
        if branch_is_transformer is not None
        else (tap != 0) | (_col(branch, SHIFT, 0.0) != 0)
    )
    return BranchTable(
        id=np.arange(1, n_branch + 1) if branch_ids is None else branch_ids,
        name=(
            np.array([f"branch {i}" for i in range(1, n_branch + 1)], dtype=object)
            if branch_names is None
            else branch_names
        ),
        from_bus=from_bus,
        to_bus=to_bus,
        r_pu=branch[:, BR_R],
        x_pu=branch[:, BR_X],
        b_pu=branch[:, BR_B],
        rating_mva=np.where(rate > 0, rate, np.inf),
        tap_ratio=np.where(tap != 0, tap, 1.0),
        shift_deg=_col(branch, SHIFT, 0.0),
        angmin_deg=np.where(angmin == 0, -360.0, angmin),
        angmax_deg=np.where(angmax == 0, 360.0, angmax),
        is_transformer=is_trafo,
    )


def _gen_table(
    gen: FloatArray,
    bus: IntArray,
    costs: tuple[FloatArray, FloatArray, FloatArray],
    gen_ids: IntArray,
    gen_names: StrArray | None,
) -> GeneratorTable:
    n_gen = len(gen)
    c0, c1, c2 = costs
    return GeneratorTable(
        id=gen_ids,
        name=(
            np.array([f"gen {i}" for i in range(1, n_gen + 1)], dtype=object)
            if gen_names is None
            else gen_names
        ),
        bus=bus,
        p_min_mw=_col(gen, PMIN, 0.0),
        p_max_mw=_col(gen, PMAX, 0.0),
        q_min_mvar=_col(gen, QMIN, 0.0),
        q_max_mvar=_col(gen, QMAX, 0.0),
        cost_c0_per_h=c0,
        cost_c1_per_mwh=c1,
        cost_c2_per_mw2h=c2,
    )


def _as_2d(a: npt.ArrayLike, width: int) -> FloatArray:
    arr = np.asarray(a, dtype=np.float64)
    if arr.size == 0:
        return np.zeros((0, width))
    return np.atleast_2d(arr)


def tables_from_ppc(
    base_mva: float,
    bus: npt.NDArray[np.float64],
    branch: npt.NDArray[np.float64],
    gen: npt.NDArray[np.float64],
    gencost: npt.NDArray[np.float64] | None,
    names: PpcNames | None = None,
) -> PpcTables:
    """Convert MATPOWER arrays; drop isolated buses, out-of-service branches and generators.

    ``bus[:, BUS_I]`` numbers the buses and the branch/gen tables refer to them; ``names``
    optionally renames buses, branches and generators (:class:`PpcNames`). Every value is
    checked first (:func:`~tdcoord.grid.io.ppc_checks.ppc_issues`, all problems listed in one
    :class:`GridError`): rating 0 means unlimited (→ ``inf``), a NaN or negative rating is an
    error; tap 0 means 1; the voltage band follows
    :func:`~tdcoord.grid.io.ppc_checks.voltage_band`.
    """
    bus = np.atleast_2d(np.asarray(bus, dtype=np.float64))
    branch = _as_2d(branch, 13)
    gen = _as_2d(gen, 10) if len(gen) else np.zeros((0, 10))
    raise_issues(GridError, "invalid grid data", ppc_issues(base_mva, bus, branch, gen, gencost))
    nm = names if names is not None else PpcNames()
    bus_ids, keep_bus, gen_ids = nm.bus_ids, nm.keep_bus, nm.gen_ids
    numbers = bus[:, BUS_I].astype(np.int64)
    ids = numbers if bus_ids is None else np.asarray(bus_ids, dtype=np.int64)
    keep = bus[:, BUS_TYPE] != ISOLATED
    if keep_bus is not None:
        keep &= keep_bus
    rows_of = _bus_rows(numbers)
    f_row = rows_of(branch[:, F_BUS], "branch")
    t_row = rows_of(branch[:, T_BUS], "branch")
    g_row = rows_of(gen[:, GEN_BUS], "gen")
    br_keep = (_col(branch, BR_STATUS, 1.0) > 0) & keep[f_row] & keep[t_row]
    n_gen = len(gen)
    g_keep = (_col(gen, GEN_STATUS, 1.0) > 0) & keep[g_row]
    buses = _bus_table(bus, ids)
    branches = _branch_table(
        branch, ids[f_row], ids[t_row], nm.branch_ids, nm.branch_names, nm.branch_is_transformer
    ).take(br_keep)
    c0, c1, c2, pwl = _costs(gencost, n_gen)
    g_ids = np.arange(1, n_gen + 1) if gen_ids is None else np.asarray(gen_ids, dtype=np.int64)
    generators = _gen_table(gen, ids[g_row], (c0, c1, c2), g_ids, nm.gen_names).take(g_keep)
    pwl_gen_row = pwl.generator
    pwl = pwl.replace(generator=g_ids[pwl_gen_row]).take(g_keep[pwl_gen_row])
    return PpcTables(
        base_mva=float(base_mva),
        buses=buses.take(keep),
        branches=branches,
        generators=generators,
        pwl_costs=pwl,
        bus_p_load_mw=bus[keep, PD],
        bus_q_load_mvar=bus[keep, QD],
    )


def _costs(
    gencost: npt.NDArray[np.float64] | None, n_gen: int
) -> tuple[FloatArray, FloatArray, FloatArray, PwlCostTable]:
    """Polynomial (MODEL 2, up to quadratic) and piecewise-linear (MODEL 1) costs per generator.

    Returns c0, c1, c2 and the PWL breakpoints; ``PwlCostTable.generator`` holds generator rows.
    """
    c0, c1, c2 = np.zeros(n_gen), np.zeros(n_gen), np.zeros(n_gen)
    pwl_gen: list[int] = []
    pwl_p: list[float] = []
    pwl_c: list[float] = []
    if gencost is None or len(gencost) == 0:
        return c0, c1, c2, _pwl(pwl_gen, pwl_p, pwl_c)
    gc = np.atleast_2d(np.asarray(gencost, dtype=np.float64))[:n_gen]
    for g, row in enumerate(gc):  # one pass over generators at load time
        model, ncost = int(row[0]), int(row[3])
        coeffs = row[4 : 4 + (2 * ncost if model == 1 else ncost)]
        if model == 2:
            if ncost > 3 and np.any(coeffs[: ncost - 3] != 0):
                raise GridError(
                    f"generator {g + 1} has a polynomial cost of degree {ncost - 1}",
                    where="gencost",
                    fix="tdcoord supports costs up to quadratic; approximate by a "
                    "piecewise-linear cost (MODEL 1)",
                )
            padded = np.zeros(3)
            tail = coeffs[-3:]
            padded[3 - len(tail) :] = tail
            c2[g], c1[g], c0[g] = padded
        elif model == 1:
            pwl_gen.extend([g] * ncost)
            pwl_p.extend(coeffs[0::2].tolist())
            pwl_c.extend(coeffs[1::2].tolist())
        else:
            raise GridError(
                f"generator {g + 1} has unknown cost model {model}",
                where="gencost",
                fix="use MODEL 1 (piecewise linear) or 2 (polynomial)",
            )
    return c0, c1, c2, _pwl(pwl_gen, pwl_p, pwl_c)


def _pwl(gen: list[int], p: list[float], c: list[float]) -> PwlCostTable:
    return PwlCostTable(
        generator=np.asarray(gen, dtype=np.int64),
        p_mw=np.asarray(p, dtype=np.float64),
        cost_per_h=np.asarray(c, dtype=np.float64),
    )


def loads_from_bus_totals(ids: IntArray, p_mw: FloatArray, q_mvar: FloatArray) -> LoadTable:
    """One load per bus with non-zero demand, id = bus id (the MATPOWER convention)."""
    mask = (p_mw != 0) | (q_mvar != 0)
    return LoadTable(
        id=ids[mask],
        bus=ids[mask],
        p_mw=p_mw[mask],
        q_mvar=q_mvar[mask],
        profile=np.full(int(mask.sum()), "", dtype=object),
    )
