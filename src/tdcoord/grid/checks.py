"""Input checks for grid data, run before any model object exists.

Each check raises :class:`~tdcoord.errors.GridError` naming the element, its id and the fix.
Plausibility limits catch the commonest unit slip in this field: kW or kvar entered as MW/Mvar.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from tdcoord.errors import GridError, Issue, raise_issues
from tdcoord.types import FloatArray, IntArray

#: Largest plausible single load or generator (MW) by nominal voltage, as (upper kV, MW) pairs.
#: A 0.4 kV node carrying more than 2 MW almost always means kW entered as MW.
PLAUSIBLE_P_MW_BY_KV: tuple[tuple[float, float], ...] = (
    (1.0, 2.0),
    (50.0, 150.0),
    (170.0, 3_000.0),
    (float("inf"), 20_000.0),
)


def plausible_p_limit_mw(vn_kv: FloatArray) -> FloatArray:
    """Per element: the largest plausible |p_mw| at nodes of nominal voltage ``vn_kv``."""
    limits = np.full(vn_kv.shape, PLAUSIBLE_P_MW_BY_KV[-1][1])
    for kv, mw in reversed(PLAUSIBLE_P_MW_BY_KV):
        limits = np.where(vn_kv <= kv, mw, limits)
    return limits


class Collector:
    """Runs checks and keeps every problem they raise, to report them all at once."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def __call__(self, check: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        """Run one check; a :class:`GridError` it raises is kept, not propagated."""
        try:
            check(*args, **kwargs)
        except GridError as exc:
            self.issues.extend(exc.issues)

    def raise_all(self, context: str) -> None:
        """Raise one :class:`GridError` listing every problem kept (nothing when none)."""
        raise_issues(GridError, context, self.issues)


def fail_if(mask: npt.NDArray[np.bool_], what: str, where: str, fix: str) -> None:
    """Raise :class:`GridError` when any entry of ``mask`` is true."""
    if np.asarray(mask).any():
        raise GridError(what, where=where, fix=fix)


def check_unique(ids: IntArray, what: str) -> None:
    """No id may appear twice."""
    unique, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        dup = unique[counts > 1][:5].tolist()
        raise GridError(
            f"duplicate {what} ids {dup}",
            where=what,
            fix=f"give every {what} its own id",
        )


def check_references(refs: IntArray, known: IntArray, what: str, column: str) -> None:
    """Every reference in ``refs`` must be a known id."""
    bad = ~np.isin(refs, known)
    if bad.any():
        first = np.flatnonzero(bad)[:5]
        raise GridError(
            f"{what} refers to unknown bus/node ids {refs[first].tolist()} in column {column!r}",
            where=f"{what} rows {first.tolist()}",
            fix="correct the reference or add the missing bus/node",
        )


def check_finite(values: FloatArray, ids: npt.ArrayLike, what: str, column: str) -> None:
    """No NaN (infinite is allowed only where documented, e.g. ratings)."""
    bad = np.isnan(values)
    if bad.any():
        ids_arr = np.asarray(ids)
        raise GridError(
            f"{what} {column} is NaN",
            where=f"{what} ids {ids_arr[bad][:5].tolist()}",
            fix=f"give every {what} a numeric {column}",
        )


def check_all_finite(values: FloatArray, ids: npt.ArrayLike, what: str, column: str) -> None:
    """No NaN and no ±inf (costs: a non-finite cost makes every price meaningless)."""
    bad = ~np.isfinite(values)
    if bad.any():
        ids_arr = np.asarray(ids)
        raise GridError(
            f"{what} {column} is not finite: {values[bad][:5].tolist()}",
            where=f"{what} ids {ids_arr[bad][:5].tolist()}",
            fix=f"give every {what} a finite {column}",
        )


def check_positive(values: FloatArray, ids: npt.ArrayLike, what: str, column: str) -> None:
    """Strictly positive and not NaN (``inf`` allowed: it means unlimited)."""
    check_finite(values, ids, what, column)
    bad = values <= 0
    if bad.any():
        ids_arr = np.asarray(ids)
        raise GridError(
            f"{what} {column} must be > 0, got {values[bad][:5].tolist()}",
            where=f"{what} ids {ids_arr[bad][:5].tolist()}",
            fix=f"use a positive {column} (use inf for 'no limit' where a rating is unknown)",
        )


def check_non_negative(values: FloatArray, ids: npt.ArrayLike, what: str, column: str) -> None:
    """Zero or positive, not NaN."""
    check_finite(values, ids, what, column)
    bad = values < 0
    if bad.any():
        ids_arr = np.asarray(ids)
        raise GridError(
            f"{what} {column} must be >= 0, got {values[bad][:5].tolist()}",
            where=f"{what} ids {ids_arr[bad][:5].tolist()}",
            fix=f"use a non-negative {column}",
        )


def check_impedance(
    r_pu: FloatArray, x_pu: FloatArray, ids: IntArray, what: str, *, allow_negative_r: bool = False
) -> None:
    """Resistance ≥ 0, reactance not NaN, and |z| > 0 (a zero impedance branch is a switch).

    Transmission cases may hold network equivalents with negative resistance (PGLib's pegase and
    goc cases do): ``allow_negative_r`` accepts them there; feeders never have them.
    """
    check_finite(r_pu, ids, what, "r_pu")
    check_finite(x_pu, ids, what, "x_pu")
    bad = r_pu < 0
    if bad.any() and not allow_negative_r:
        raise GridError(
            f"{what} resistance r_pu is negative: {r_pu[bad][:5].tolist()}",
            where=f"{what} ids {ids[bad][:5].tolist()}",
            fix="resistances are >= 0; check the sign and the units",
        )
    zero = (r_pu == 0) & (x_pu == 0)
    if zero.any():
        raise GridError(
            f"{what} has zero impedance",
            where=f"{what} ids {ids[zero][:5].tolist()}",
            fix="model a zero-impedance connection as a closed switch (merge the buses) "
            "or give it a small impedance",
        )


def check_voltage_limits(
    v_min_pu: FloatArray, v_max_pu: FloatArray, ids: IntArray, what: str
) -> None:
    """0 < v_min ≤ v_max, both finite and within a plausible 0.5–1.5 pu band."""
    check_finite(v_min_pu, ids, what, "v_min_pu")
    check_finite(v_max_pu, ids, what, "v_max_pu")
    upside = v_min_pu > v_max_pu
    if upside.any():
        raise GridError(
            f"{what} voltage limits upside down: v_min_pu {v_min_pu[upside][:3].tolist()} > "
            f"v_max_pu {v_max_pu[upside][:3].tolist()}",
            where=f"{what} ids {ids[upside][:5].tolist()}",
            fix="swap v_min_pu and v_max_pu",
        )
    odd = (v_min_pu <= 0.5) | (v_max_pu >= 1.5)
    if odd.any():
        raise GridError(
            f"{what} voltage limits outside 0.5–1.5 pu: "
            f"{list(zip(v_min_pu[odd][:3].tolist(), v_max_pu[odd][:3].tolist(), strict=True))}",
            where=f"{what} ids {ids[odd][:5].tolist()}",
            fix="give limits in per unit of the nominal voltage (e.g. 0.95 and 1.05), not in kV",
        )


def check_plausible_power(
    p_mw: FloatArray, vn_kv_at_element: FloatArray, ids: IntArray, what: str
) -> None:
    """Catch kW entered as MW: |p_mw| above the plausible limit for the element's voltage level."""
    check_finite(p_mw, ids, what, "p_mw")
    limit = plausible_p_limit_mw(vn_kv_at_element)
    bad = np.abs(p_mw) > limit
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise GridError(
            f"{what} {int(ids[i])} has p_mw={p_mw[i]:g} at {vn_kv_at_element[i]:g} kV, above the "
            f"plausible {limit[i]:g} MW for that voltage level",
            where=f"{what} ids {ids[bad][:5].tolist()}",
            fix="was the value given in kW? divide by 1000 (tdcoord uses MW and Mvar)",
        )


#: Largest plausible single transmission load or injection, MW (the largest loads of national
#: grids' bulk supply points are a few GW); beyond it the data are in the wrong unit.
PLAUSIBLE_TRANSMISSION_P_MW = 50_000.0


def check_plausible_transmission_power(p_mw: FloatArray, ids: IntArray, what: str) -> None:
    """Catch kW entered as MW on transmission, where base voltages are often unknown."""
    check_finite(p_mw, ids, what, "p_mw")
    bad = np.abs(p_mw) > PLAUSIBLE_TRANSMISSION_P_MW
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise GridError(
            f"{what} {int(ids[i])} has p_mw={p_mw[i]:g}, above the plausible "
            f"{PLAUSIBLE_TRANSMISSION_P_MW:g} MW of a single transmission {what}",
            where=f"{what} ids {ids[bad][:5].tolist()}",
            fix="was the value given in kW? divide by 1000 (tdcoord uses MW and Mvar)",
        )


def components(n: int, a: IntArray, b: IntArray) -> tuple[int, IntArray]:
    """Connected components of an undirected graph with ``n`` vertices and edges (a[i], b[i])."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    count, labels = connected_components(graph, directed=False)
    return int(count), labels.astype(np.int64)
