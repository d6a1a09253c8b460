"""Checks of MATPOWER-format arrays before they become tables, every problem listed.

Rules, per field (``docs/grid.md``, "Validation"):

==========================  ==============================================================
field                       rule
==========================  ==============================================================
``baseMVA``                 finite and > 0, else error
bus PD, QD, GS, BS          finite, else error
branch BR_R, BR_X, BR_B     finite, else error
branch RATE_A               NaN or < 0 is an error; 0 means unlimited (MATPOWER convention)
branch TAP, SHIFT, ANGMIN,  finite, else error (TAP 0 means 1; ANGMIN/ANGMAX 0 mean ±360°)
ANGMAX
gen PMIN, PMAX, QMIN, QMAX  not NaN, else error (±inf allowed: no limit)
gencost                     every number finite, else error (a NaN cost is never "optimal")
bus VMIN, VMAX              see :func:`voltage_band`
==========================  ==============================================================
"""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt

from tdcoord.errors import Issue

#: MATPOWER column indices checked for finiteness (0-based) with their manual names.
BUS_FINITE = {2: "PD", 3: "QD", 4: "GS", 5: "BS"}
BRANCH_FINITE = {2: "BR_R", 3: "BR_X", 4: "BR_B", 8: "TAP", 9: "SHIFT", 11: "ANGMIN", 12: "ANGMAX"}
GEN_NOT_NAN = {3: "QMAX", 4: "QMIN", 8: "PMAX", 9: "PMIN"}
RATE_A = 5

#: Default voltage band when a source gives none (design doc: 0.95–1.05 pu).
DEFAULT_V_MIN_PU, DEFAULT_V_MAX_PU = 0.95, 1.05

Array = npt.NDArray[np.float64]


def _column_issues(
    a: Array, columns: dict[int, str], table: str, ids: Array, *, allow_inf: bool = False
) -> list[Issue]:
    out = []
    for j, name in columns.items():
        if a.shape[1] <= j:
            continue
        col = a[:, j]
        bad = np.isnan(col) if allow_inf else ~np.isfinite(col)
        if bad.any():
            rows = np.flatnonzero(bad)[:5]
            out.append(
                Issue(
                    f"{table} {[int(i) for i in ids[rows]]}",
                    f"{table} column {name} is {col[rows[0]]!r}",
                    f"give a finite number in {name} ({table} row {int(rows[0]) + 1})",
                )
            )
    return out


def _integer_issues(a: Array, columns: dict[int, str], table: str) -> list[Issue]:
    out = []
    for j, name in columns.items():
        if a.shape[1] <= j:
            continue
        col = a[:, j]
        bad = ~np.isfinite(col) | (col != np.round(col)) | (np.abs(col) > 2**53)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            out.append(
                Issue(
                    f"{table} row {row + 1}",
                    f"{table} column {name} is {col[row]!r}",
                    f"give a whole number in {name}",
                )
            )
    return out


def ppc_issues(
    base_mva: float, bus: Array, branch: Array, gen: Array, gencost: Array | None
) -> list[Issue]:
    """Every non-finite, negative-rating or non-numeric problem of the arrays."""
    out = []
    if not (np.isfinite(base_mva) and base_mva > 0):
        out.append(Issue("baseMVA", f"baseMVA is {base_mva!r}", "give a positive number (100)"))
    for table, a, cols in (
        ("bus", bus, {0: "BUS_I", 1: "BUS_TYPE"}),
        ("branch", branch, {0: "F_BUS", 1: "T_BUS"}),
        ("gen", gen, {0: "GEN_BUS"}),
    ):
        out += _integer_issues(a, cols, table)
    if out:
        return out  # numbering broken: the other checks would name the wrong elements
    bus_ids = bus[:, 0] if bus.shape[1] else np.zeros(0)
    numbers, counts = np.unique(bus_ids, return_counts=True)
    if (counts > 1).any():
        dup = [int(n) for n in numbers[counts > 1][:5]]
        out.append(
            Issue(f"bus {dup}", f"duplicate bus numbers {dup}", "give every bus its own number")
        )
    out += _column_issues(bus, BUS_FINITE, "bus", bus_ids)
    br_ids = np.arange(1, len(branch) + 1, dtype=np.float64)
    out += _column_issues(branch, BRANCH_FINITE, "branch", br_ids)
    if branch.shape[1] > RATE_A:
        rate = branch[:, RATE_A]
        bad = np.isnan(rate) | (rate < 0)
        if bad.any():
            rows = np.flatnonzero(bad)[:5]
            out.append(
                Issue(
                    f"branch {[int(i) + 1 for i in rows]}",
                    f"branch rating RATE_A is {rate[rows[0]]!r}",
                    "give a rating >= 0 in MVA (0 means unlimited)",
                )
            )
    gen_ids = np.arange(1, len(gen) + 1, dtype=np.float64)
    out += _column_issues(gen, GEN_NOT_NAN, "gen", gen_ids, allow_inf=True)
    if gencost is not None and len(gencost):
        gc = np.atleast_2d(np.asarray(gencost, dtype=np.float64))
        bad_rows = np.flatnonzero(~np.isfinite(gc).all(axis=1))
        if bad_rows.size:
            out.append(
                Issue(
                    f"gencost rows {[int(i) + 1 for i in bad_rows[:5]]}",
                    "generator cost holds NaN or infinite values",
                    "give finite cost coefficients (a NaN cost makes every price meaningless)",
                )
            )
    return out


def voltage_band(vmin: Array, vmax: Array, ids: Array) -> tuple[Array, Array, list[Issue]]:
    """The voltage band per bus, repairs made explicit.

    * **missing** (VMIN <= 0, VMAX <= 0, or pandapower's no-limit default VMAX = 2): the default
      0.95–1.05 pu for the bus, silently (documented);
    * **upside down** (VMIN > VMAX, both given): error;
    * **in kV** (a value above 2 pu): error;
    * **implausible** (given, but outside 0.5–1.5 pu): a warning naming the buses and values,
      and the default band for those buses.

    NaN values are errors (:func:`ppc_issues` does not check them: reported here).
    """
    issues: list[Issue] = []
    nan = np.isnan(vmin) | np.isnan(vmax)
    if nan.any():
        issues.append(
            Issue(
                f"bus {_ids(ids, nan)}",
                "voltage limit VMIN/VMAX is NaN",
                "give limits in pu (e.g. 0.95 and 1.05) or 0 for 'not given'",
            )
        )
    missing = (vmin <= 0) | (vmax <= 0) | (vmax == 2.0)
    given = ~missing & ~nan
    upside = given & (vmin > vmax)
    if upside.any():
        issues.append(
            Issue(
                f"bus {_ids(ids, upside)}",
                f"voltage limits upside down: VMIN {vmin[upside][0]:g} > VMAX {vmax[upside][0]:g}",
                "swap VMIN and VMAX",
            )
        )
    kv = given & ~upside & ((vmin > 2.0) | (vmax > 2.0))
    if kv.any():
        issues.append(
            Issue(
                f"bus {_ids(ids, kv)}",
                f"voltage limits {vmin[kv][0]:g}–{vmax[kv][0]:g} look like kV, not pu",
                "give VMIN/VMAX in per unit of the base voltage (e.g. 0.95 and 1.05)",
            )
        )
    odd = given & ~upside & ~kv & ((vmin <= 0.5) | (vmax >= 1.5))
    if odd.any():
        warnings.warn(
            f"buses {_ids(ids, odd)} have implausible voltage limits (e.g. "
            f"{vmin[odd][0]:g}–{vmax[odd][0]:g} pu); "
            f"using {DEFAULT_V_MIN_PU}–{DEFAULT_V_MAX_PU} pu",
            stacklevel=3,
        )
    repair = missing | odd | nan | upside | kv
    return (
        np.where(repair, DEFAULT_V_MIN_PU, vmin),
        np.where(repair, DEFAULT_V_MAX_PU, vmax),
        issues,
    )


def _ids(ids: Array, mask: npt.NDArray[np.bool_]) -> list[int]:
    return [int(i) for i in ids[mask][:5]]
