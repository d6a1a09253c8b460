"""The clearing program: one flexibility-clearing LP with named, per-interval families.

A :class:`ClearingProgram` is the public face of the LP that :mod:`tdcoord.coordination.clearing`
assembles. Columns and rows come in named families (``"a"`` the offer activations, ``"balance"``,
``"lines"``, ``"v_lo:3"``, ``"target:3"`` …), every family repeated once per interval and stored
interval-major: column ``t·n + i`` is member ``i`` of the family at interval ``t``. Schemes and
the other clearing primitives add families and look them up by name
(:meth:`ClearingProgram.columns`, :meth:`ClearingProgram.rows`); none of them reaches into the
sparse LP builder (:class:`tdcoord.opf.lp.LpBuilder`) underneath.

Interval-major layout helpers: :func:`interval_major` flattens an ``(n, T)`` array to the
``(T·n,)`` order of a family, :func:`per_interval` repeats one interval's block matrix ``m`` on
the diagonal, ``I_T ⊗ m`` (Kronecker product).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from tdcoord.arrays import period_major, repeat_per_period
from tdcoord.coordination.errors import CoordinationError
from tdcoord.opf.lp import LinearProgram, LpBuilder
from tdcoord.types import FloatArray, IntArray

if TYPE_CHECKING:
    from tdcoord.coordination.case import ClearingCase
    from tdcoord.coordination.clearing_spec import ClearingSpec
    from tdcoord.coordination.injectors import Prior
    from tdcoord.coordination.network_model import FeederModel, TransmissionModel


def interval_major(a: Any) -> FloatArray:
    """``(n, T)`` → the interval-major flat vector ``(T·n,)`` of a family
    (:func:`tdcoord.arrays.period_major`)."""
    return period_major(a)


def per_interval(n_periods: int, m: Any) -> sp.csr_matrix:
    """``I_T ⊗ m``: one interval's block ``m`` (dense or sparse) repeated for every interval
    (block diagonal; :func:`tdcoord.arrays.repeat_per_period`)."""
    return repeat_per_period(n_periods, sp.csr_matrix(m))


@dataclasses.dataclass(frozen=True)
class SlackFamily:
    """A family of priced slack columns: one per label and interval.

    ``price_eur_per_unit_h`` is per unit of the slack and hour (€/MWh for MW slacks, €/(pu·h)
    for voltage).
    """

    name: str
    kind: str
    labels: tuple[str, ...]
    price_eur_per_unit_h: float


class ClearingProgram:
    """One clearing LP under construction (see module docstring).

    Built by :func:`tdcoord.coordination.clearing.build`; holds the case, the spec, the prior
    commitments, the network models it used (``transmission``, ``feeder_models``) and, per
    modelled feeder, the names of its row families (``feeder_rows``).
    """

    def __init__(self, case: ClearingCase, spec: ClearingSpec, prior: Prior) -> None:
        self.case = case
        self.spec = spec
        self.prior = prior
        self.n_periods = case.n_periods
        self.dt_h = case.dt_h
        self.transmission: TransmissionModel | None = None
        self.feeder_models: dict[int, FeederModel] = {}
        self.slack_families: list[SlackFamily] = []
        self.feeder_rows: dict[int, dict[str, Any]] = {}
        self._builder = LpBuilder()
        self._columns: dict[str, slice] = {}
        self._rows: dict[str, slice] = {}
        self._col_interval: list[IntArray] = []

    # -- families -------------------------------------------------------------------------------
    def add_columns(self, name: str, n: int, lower: Any, upper: Any, cost: Any) -> slice:
        """Add family ``name`` of ``n`` columns per interval (bounds and cost interval-major or
        scalars); return its slice."""
        s = self._builder.add_columns(name, n * self.n_periods, lower, upper, cost)
        self._columns[name] = s
        self._col_interval.append(np.repeat(np.arange(self.n_periods, dtype=np.int64), n))
        return s

    def add_slack(
        self, name: str, kind: str, labels: tuple[str, ...], price: float, upper: Any = np.inf
    ) -> slice:
        """Add a family of non-negative slacks, one per label, priced ``price``·Δt, at most
        ``upper`` (scalar or interval-major)."""
        s = self.add_columns(name, len(labels), 0.0, upper, price * self.dt_h)
        self.slack_families.append(SlackFamily(name, kind, labels, price))
        return s

    def add_rows(
        self, name: str, blocks: Sequence[tuple[slice, Any]], lower: Any, upper: Any
    ) -> slice:
        """Add rows ``lower ≤ Σ M x[cols] ≤ upper`` named ``name``; return their slice."""
        s = self._builder.add_rows(name, blocks, lower, upper)
        self._rows[name] = s
        return s

    # -- look-ups -------------------------------------------------------------------------------
    @property
    def activation(self) -> slice:
        """The offer-activation columns ``a`` (one per injector and interval)."""
        return self.columns("a")

    def has_columns(self, name: str) -> bool:
        """Whether a column family ``name`` exists."""
        return name in self._columns

    def has_rows(self, name: str) -> bool:
        """Whether a row family ``name`` exists."""
        return name in self._rows

    def columns(self, name: str) -> slice:
        """The slice of column family ``name``."""
        return self._lookup(self._columns, name, "column")

    def rows(self, name: str) -> slice:
        """The slice of row family ``name``."""
        return self._lookup(self._rows, name, "row")

    def row_names(self) -> tuple[str, ...]:
        """Row families in the order they were added."""
        return tuple(self._rows)

    def column_interval(self) -> IntArray:
        """Interval of every column ``(n_col,)``."""
        return np.concatenate(self._col_interval).astype(np.int64)

    def lp(self) -> LinearProgram:
        """The assembled :class:`~tdcoord.opf.lp.LinearProgram` (CSR, duplicates summed)."""
        return self._builder.build()

    @staticmethod
    def _lookup(families: dict[str, slice], name: str, kind: str) -> slice:
        if name not in families:
            raise CoordinationError(
                f"the clearing program has no {kind} family {name!r}",
                where="ClearingProgram",
                fix=f"use one of {sorted(families)} or add the family first",
            )
        return families[name]
