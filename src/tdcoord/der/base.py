"""Common pieces of the vectorised DER models.

Every DER type in :mod:`tdcoord.der` describes **many units of one type** as a frozen dataclass of
numpy arrays (one element per unit; profiles are ``units × intervals``). No per-unit Python loop
runs on a hot path; loops run over *intervals* only.

Sign convention (the same for every type)
-----------------------------------------
* ``p_mw > 0`` is **injection** into the grid (generation, battery discharge);
  ``p_mw < 0`` is **consumption** (load, charging).
* **Up-flexibility** is a change that *raises* ``p_mw``: more injection or less consumption.
  **Down-flexibility** *lowers* ``p_mw``: less injection or more consumption.
* :class:`Flexibility` holds magnitudes (both ``>= 0``) relative to the baseline; an activation is
  a signed deviation ``a`` with ``-down_mw <= a <= up_mw``.

Flexibility of interval ``t`` is computed along the baseline trajectory and assumes that no *other*
interval of the horizon is activated (non-simultaneous flexibility). After an activation call
:meth:`DerModel.apply`; the new state yields the next flexibility, so sequences of activations
within the reported flexibility always stay feasible (the invariant tests check this).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, Self, TypeVar

import numpy as np
import numpy.typing as npt

from tdcoord.der.errors import DerError
from tdcoord.types import FloatArray, IntArray

M = TypeVar("M", bound="DerModel")

#: Largest rating accepted for one DER, in MW. Seed 000 §1 puts DERs at "a few kilowatts to a
#: few megawatts"; a value far above this is almost always kW typed where MW was expected.
MAX_PLAUSIBLE_MW = 100.0

#: Tolerance (MW) when checking an activation against the reported flexibility.
ACTIVATION_TOL_MW = 1e-9


@dataclass(frozen=True, eq=False)
class Flexibility:
    """Flexibility per unit and interval, relative to the baseline (arrays ``units × intervals``).

    ``up_mw`` and ``down_mw`` are non-negative magnitudes (see the module sign convention).
    ``q_max_mvar`` is the symmetric reactive capability ``±q`` at the baseline operating point,
    ``None`` for types without an inverter model.
    """

    up_mw: FloatArray
    down_mw: FloatArray
    q_max_mvar: FloatArray | None = None

    def first(self) -> Flexibility:
        """The first interval only (shape ``units × 1``): what :meth:`DerModel.apply` checks."""
        q = None if self.q_max_mvar is None else self.q_max_mvar[:, :1]
        return Flexibility(self.up_mw[:, :1], self.down_mw[:, :1], q)


@dataclass(frozen=True, eq=False)
class EnergyLimits:
    """Linear inter-temporal limits of units (the energy rows of a time-coupled clearing).

    For further activations ``u_t ≥ 0`` (up) and ``d_t ≥ 0`` (down, MW) on top of an already
    committed plan, the unit stays deliverable at activation if, for every interval ``t``,

    .. math::

        \\Delta t \\sum_{s \\le t} (\\kappa^{drop}_{up} u_s - \\kappa^{drop}_{dn} d_s)
            \\le D^{max}_t, \\qquad
        \\Delta t \\sum_{s \\le t} (\\kappa^{rise}_{dn} d_s - \\kappa^{rise}_{up} u_s)
            \\le R^{max}_t

    (the energy the unit may still *lose* resp. *gain* by the end of ``t``, MWh; ``inf`` where
    nothing binds). The coefficients are per unit ``(units,)``, the limits ``units × n``. Each
    DER type states why its rows are sufficient (conservative bounds on the true, piecewise
    state change; seed 000 §3.2: "a distributed energy storage resource that has depleted its
    energy capacity, but gets called upon for discharging" must not happen).
    """

    drop_up: FloatArray
    drop_dn: FloatArray
    rise_up: FloatArray
    rise_dn: FloatArray
    drop_max_mwh: FloatArray
    rise_max_mwh: FloatArray
    #: ``units × n``: the factor ``δ_t`` by which a drop (resp. rise) carried into interval ``t``
    #: decays there (the sums above become ``Σ_{s≤t} Π_{s<j≤t} δ_j (…)``; 0 = a full reset);
    #: ``None``: 1 (stored energy does not decay).
    drop_decay: FloatArray | None = None
    rise_decay: FloatArray | None = None
    #: Rebound (per unit, MW per MWh; ``None``: none): the baseline's own response to the state
    #: left by earlier activations eats into the power room of the next interval, so
    #: ``κ·drop_{t−1} + d_t ≤ dn_room_t`` and ``κ·rise_{t−1} + u_t ≤ up_room_t``
    #: (``drop``/``rise`` the left-hand sides above; the rooms ``units × n``, MW, the power
    #: flexibility left after the committed plan).
    #: ``(units,)`` or per interval ``(units, n)``.
    rebound_mw_per_mwh: FloatArray | None = None
    up_room_mw: FloatArray | None = None
    dn_room_mw: FloatArray | None = None
    #: Queue form (shiftable loads; ``None``: the sums above). The drop is the queue
    #: ``Q_{t+1} = max(Q_t − m_t, 0) + Δt(κ^drop_up u_t − κ^drop_dn d_t)`` (``Q_0 = 0``; the
    #: credit ``m_t``, MWh, is what the baseline's own rebound takes back in interval ``t``)
    #: with ``Q_{t+1} ≤ D^max_t``, alike the rise with ``rise_credit_mwh``; and the power rows
    #: ``min(max(Q_t, 0), m̄_t) − Δt(u_t − d_t) ≤ Δt·dn_room_t`` (``m̄`` = ``drop_rebound_mwh``,
    #: the most the rebound can take of the room) and alike with the rise queue, ``up_room``
    #: and ``rise_rebound_mwh`` (all ``units × n``; :mod:`tdcoord.coordination.shift_rows`).
    drop_credit_mwh: FloatArray | None = None
    rise_credit_mwh: FloatArray | None = None
    drop_rebound_mwh: FloatArray | None = None
    rise_rebound_mwh: FloatArray | None = None


class DerModel(Protocol):
    """What every DER type offers (structural type; the classes do not inherit from it)."""

    @property
    def ids(self) -> tuple[str, ...]: ...

    @property
    def n_units(self) -> int: ...

    def baseline_p_mw(self, n_intervals: int, dt_h: float) -> FloatArray: ...

    def flexibility(self, n_intervals: int, dt_h: float) -> Flexibility: ...

    def apply(self, activation_p_mw: npt.ArrayLike, dt_h: float) -> Self: ...


# --------------------------------------------------------------------------- validation helpers


#: Id tuples already checked (by identity; each entry keeps its tuple alive, so an ``id`` is
#: never reused while cached). A model's state update re-runs ``__post_init__`` with the same
#: tuple every interval; this skips re-checking thousands of ids each time.
_CHECKED_IDS: dict[int, tuple[str, ...]] = {}
_CHECKED_IDS_MAX = 256


def as_ids(kind: str, ids: Sequence[str]) -> tuple[str, ...]:
    """Unit ids as a tuple of unique, non-empty strings."""
    if _CHECKED_IDS.get(id(ids)) is ids:
        return ids  # the same, already checked tuple
    out = tuple(str(i) for i in ids)
    if not out:
        raise DerError(f"{kind} has no units", where=kind, fix="pass at least one unit id")
    if any(not i for i in out):
        raise DerError(f"{kind} has an empty unit id", where=kind, fix="give every unit a name")
    if len(set(out)) != len(out):
        seen: set[str] = set()
        dup = next(i for i in out if i in seen or seen.add(i))  # type: ignore[func-returns-value]
        raise DerError(f"duplicate unit id {dup!r}", where=kind, fix="make unit ids unique")
    if len(_CHECKED_IDS) >= _CHECKED_IDS_MAX:
        _CHECKED_IDS.pop(next(iter(_CHECKED_IDS)))
    _CHECKED_IDS[id(out)] = out
    return out


def per_unit(kind: str, name: str, value: Any, ids: tuple[str, ...]) -> FloatArray:
    """A per-unit float array of length ``len(ids)``; scalars are broadcast."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(len(ids), float(arr))
    if arr.shape != (len(ids),):
        raise DerError(
            f"{name} has shape {arr.shape}, expected ({len(ids)},) (one value per unit)",
            where=kind,
            fix=f"pass one {name} per unit id or a scalar",
        )
    if not np.all(np.isfinite(arr)):
        bad = first_bad(ids, ~np.isfinite(arr))
        raise DerError(f"{name} is not finite for unit {bad}", where=kind, fix="give a number")
    return arr


def per_unit_int(kind: str, name: str, value: Any, ids: tuple[str, ...]) -> IntArray:
    """A per-unit integer array (interval indices, counts); scalars are broadcast."""
    raw = np.asarray(value)
    if raw.ndim == 0:
        raw = np.full(len(ids), raw)
    if raw.shape != (len(ids),) or not np.all(np.equal(np.mod(raw, 1), 0)):
        raise DerError(
            f"{name} must be one integer interval index per unit, got {raw!r}",
            where=kind,
            fix=f"pass {len(ids)} integers",
        )
    return raw.astype(np.int64)


def profile(kind: str, name: str, value: Any, ids: tuple[str, ...]) -> FloatArray:
    """A ``units × intervals`` float profile; a 1-D profile is shared by all units."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 1:
        arr = np.broadcast_to(arr, (len(ids), arr.shape[0])).copy()
    if arr.ndim != 2 or arr.shape[0] != len(ids) or arr.shape[1] == 0:
        raise DerError(
            f"{name} has shape {arr.shape}, expected ({len(ids)}, n_intervals)",
            where=kind,
            fix="pass one row per unit (or one 1-D profile shared by all units)",
        )
    if not np.all(np.isfinite(arr)):
        raise DerError(f"{name} contains NaN or inf", where=kind, fix="fill missing values")
    return arr


def first_bad(ids: tuple[str, ...], mask: npt.NDArray[np.bool_]) -> str:
    """Name the first offending unit (and how many others) for an error message."""
    flat = np.asarray(mask)
    if flat.ndim > 1:
        flat = np.asarray(flat.any(axis=tuple(range(1, flat.ndim))))
    idx = np.flatnonzero(flat)
    more = f" (and {idx.size - 1} more)" if idx.size > 1 else ""
    return f"{ids[int(idx[0])]!r}{more}"


def require(
    kind: str, ids: tuple[str, ...], ok: npt.NDArray[np.bool_], what: str, fix: str
) -> None:
    """Raise :class:`DerError` naming the first unit where ``ok`` is false."""
    if not np.all(ok):
        raise DerError(f"{what} for unit {first_bad(ids, ~ok)}", where=kind, fix=fix)


def require_nonnegative(kind: str, ids: tuple[str, ...], name: str, arr: FloatArray) -> None:
    require(kind, ids, arr >= 0, f"{name} is negative", f"{name} must be >= 0")


def require_plausible_mw(kind: str, ids: tuple[str, ...], name: str, arr: FloatArray) -> None:
    """Reject ratings above :data:`MAX_PLAUSIBLE_MW` (kW typed as MW)."""
    require(
        kind,
        ids,
        arr <= MAX_PLAUSIBLE_MW,
        f"{name} above {MAX_PLAUSIBLE_MW:g} MW is implausible for a DER "
        "(seed 000 §1: DERs are kW to a few MW)",
        f"give {name} in MW, not kW (divide by 1000)",
    )


def require_efficiency(kind: str, ids: tuple[str, ...], name: str, arr: FloatArray) -> None:
    require(
        kind,
        ids,
        (arr > 0) & (arr <= 1),
        f"{name} outside (0, 1]",
        f"give {name} as a fraction (0.95, not 95)",
    )


def check_dt(dt_h: float) -> float:
    dt = float(dt_h)
    if not (dt > 0 and np.isfinite(dt)):
        raise DerError(
            f"dt_h = {dt_h!r} is not a positive duration", fix="use e.g. 0.25 for 15 min"
        )
    return dt


def check_n(n_intervals: int) -> int:
    if int(n_intervals) != n_intervals or n_intervals < 1:
        raise DerError(f"n_intervals = {n_intervals!r}", fix="use a positive integer")
    return int(n_intervals)


def take_window(arr: FloatArray, t0: int, n: int, fill: float = 0.0) -> FloatArray:
    """Columns ``t0 .. t0+n-1`` of a profile, padded with ``fill`` past its end."""
    out = np.full((arr.shape[0], n), fill, dtype=np.float64)
    stop = min(arr.shape[1], t0 + n)
    if stop > t0:
        out[:, : stop - t0] = arr[:, t0:stop]
    return out


def checked_activation(
    kind: str,
    ids: tuple[str, ...],
    activation_p_mw: npt.ArrayLike,
    flex: Flexibility,
    tol_mw: float = ACTIVATION_TOL_MW,
) -> FloatArray:
    """Validate a one-interval activation against the reported flexibility (first column).

    Returns the activation clipped to ``[-down, up]`` (differences below ``tol_mw`` are rounding);
    raises :class:`DerError` for anything beyond the tolerance: an activation above what the unit
    offered cannot be delivered (architecture: "no offer is activated beyond its quantity").
    """
    a = np.asarray(activation_p_mw, dtype=np.float64)
    if a.ndim == 0:
        a = np.full(len(ids), float(a))
    if a.shape != (len(ids),):
        raise DerError(
            f"activation has shape {a.shape}, expected ({len(ids)},)",
            where=kind,
            fix="pass one signed deviation (MW) per unit for one interval",
        )
    up = flex.up_mw[:, 0]
    down = flex.down_mw[:, 0]
    scale = 1.0 + np.maximum(up, down)
    require(
        kind,
        ids,
        a <= up + tol_mw * scale,
        "activation above the reported up-flexibility",
        "activate at most flexibility().up_mw (call flexibility() after every apply())",
    )
    require(
        kind,
        ids,
        a >= -down - tol_mw * scale,
        "activation below the reported down-flexibility",
        "activate at least -flexibility().down_mw",
    )
    return np.clip(a, -down, up)


def run_activations(model: M, activations_p_mw: npt.ArrayLike, dt_h: float) -> tuple[M, FloatArray]:
    """Apply a sequence of activations (``units × k``, MW, signed) interval by interval.

    Returns the final model and the realised power ``units × k`` (baseline + activation, MW).
    Raises :class:`DerError` at the first activation outside the flexibility reported at that step.
    """
    acts = np.asarray(activations_p_mw, dtype=np.float64)
    if acts.ndim != 2 or acts.shape[0] != model.n_units:
        raise DerError(
            f"activations have shape {acts.shape}, expected ({model.n_units}, k)",
            fix="pass one row per unit and one column per interval",
        )
    realised = np.empty_like(acts)
    for k in range(acts.shape[1]):
        realised[:, k] = model.baseline_p_mw(1, dt_h)[:, 0] + acts[:, k]
        model = model.apply(acts[:, k], dt_h)
    return model, realised
