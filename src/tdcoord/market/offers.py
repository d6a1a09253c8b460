"""The offer book: stepwise price–quantity flexibility offers, one row per offer step.

An aggregator (or a transmission-connected unit) offers, per interval, a deviation from its
baseline schedule. Every row of an :class:`OfferBook` is one *step* of one offer:

* ``direction`` +1 is **up** (raise net injection: more generation or less consumption),
  −1 is **down** (lower net injection). The sign convention is :mod:`tdcoord.der.base`'s.
* ``quantity_mw[k, t] >= 0`` is the most the step can deliver in interval ``t`` (Mvar for a
  reactive step, ``reactive[k]`` true).
* ``price_eur_per_mwh[k, t]`` is what the seller asks per MWh activated (per Mvarh for reactive
  steps). For a down step it is what the seller asks to reduce its injection; it may be negative
  (the seller pays to consume more, e.g. a battery buying cheap energy).
* Location: ``feeder[k]`` is the index of the feeder in :attr:`GridModel.feeders` and
  ``node[k]`` the node row in that feeder (``>= 1``; row 0 is the supply point);
  ``feeder[k] == -1`` means a transmission-connected offer and ``node[k]`` is then the
  transmission **bus row**.

A signed activation ``a[k, t]`` of a step satisfies ``0 <= a <= quantity`` (magnitudes) and changes
the injection at its location by ``direction[k] * a[k, t]``. Its cost to the buyer is
``price[k, t] * a[k, t] * dt_h``. A merit order sorts steps by price, ties broken by row order
(deterministic).

Validation of offers against physics, prequalification and preset rules lives in
:mod:`tdcoord.market.offer_validation`; this module only guarantees a well-formed book.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from tdcoord.arrays import frozen
from tdcoord.market.errors import MarketError
from tdcoord.types import BoolArray, FloatArray, IntArray


class OfferError(MarketError):
    """A malformed or invalid offer: shape, sign, location, price cap, prequalification."""


_ID_FIELDS = ("offer_id", "der_id", "aggregator_id", "product_id", "der_type")
_ROW_FIELDS = ("direction", "feeder", "node", "reactive")
_GRID_FIELDS = ("quantity_mw", "price_eur_per_mwh")


@dataclass(frozen=True, eq=False)
class OfferBook:
    """Offer steps (rows) × intervals (columns of the two 2-D arrays)."""

    offer_id: tuple[str, ...]
    der_id: tuple[str, ...]
    aggregator_id: tuple[str, ...]
    product_id: tuple[str, ...]
    der_type: tuple[str, ...]
    direction: IntArray
    feeder: IntArray
    node: IntArray
    reactive: BoolArray
    quantity_mw: FloatArray
    price_eur_per_mwh: FloatArray

    def __post_init__(self) -> None:
        for name in _ID_FIELDS:
            object.__setattr__(self, name, tuple(str(v) for v in getattr(self, name)))
        dtypes = {"direction": np.int64, "feeder": np.int64, "node": np.int64, "reactive": bool}
        for name in _ROW_FIELDS:
            arr = np.array(getattr(self, name), dtype=dtypes[name], copy=True).ravel()
            object.__setattr__(self, name, frozen(arr))
        n = len(self.offer_id)
        for name in _GRID_FIELDS:
            grid: FloatArray = np.array(getattr(self, name), dtype=np.float64, copy=True)
            if grid.ndim == 1 and n == 0:
                grid = grid.reshape(0, 0)
            if grid.ndim != 2:
                raise OfferError(
                    f"{name} must be 2-D (offers × intervals), got shape {grid.shape}",
                    where=f"OfferBook.{name}",
                    fix="give one row per offer step and one column per interval",
                )
            object.__setattr__(self, name, frozen(grid))
        self._check(n)

    def _check(self, n: int) -> None:
        for name in (*_ID_FIELDS, *_ROW_FIELDS):
            if len(getattr(self, name)) != n:
                raise OfferError(
                    f"{name} has {len(getattr(self, name))} entries, expected {n}",
                    where=f"OfferBook.{name}",
                    fix="give one entry per offer step",
                )
        if self.quantity_mw.shape != self.price_eur_per_mwh.shape or self.quantity_mw.shape[0] != n:
            raise OfferError(
                f"quantity_mw {self.quantity_mw.shape} and price_eur_per_mwh "
                f"{self.price_eur_per_mwh.shape} must both be ({n}, T)",
                where="OfferBook",
                fix="give one quantity and one price per offer step and interval",
            )
        if len(set(self.offer_id)) != n:
            dup = next(o for i, o in enumerate(self.offer_id) if o in self.offer_id[:i])
            raise OfferError(
                f"offer id {dup!r} appears twice",
                where=f"offer {dup}",
                fix="give every offer step its own id",
            )
        bad = ~np.isin(self.direction, (-1, 1))
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise OfferError(
                f"direction {int(self.direction[k])} is neither +1 (up) nor -1 (down)",
                where=f"offer {self.offer_id[k]}",
                fix="use +1 for up (more injection) and -1 for down",
            )
        for name in _GRID_FIELDS:
            arr = getattr(self, name)
            if not np.isfinite(arr).all():
                k = int(np.flatnonzero(~np.isfinite(arr).all(axis=1))[0])
                raise OfferError(
                    f"{name} is not finite",
                    where=f"offer {self.offer_id[k]}",
                    fix="give finite numbers",
                )
        neg = (self.quantity_mw < 0).any(axis=1)
        if neg.any():
            k = int(np.flatnonzero(neg)[0])
            raise OfferError(
                f"negative quantity {self.quantity_mw[k].min():g} MW",
                where=f"offer {self.offer_id[k]}",
                fix="quantities are magnitudes (>= 0); use direction for the sign",
            )
        loc = (self.feeder < -1) | (self.node < 0) | ((self.feeder >= 0) & (self.node < 1))
        if loc.any():
            k = int(np.flatnonzero(loc)[0])
            raise OfferError(
                f"bad location feeder={int(self.feeder[k])} node={int(self.node[k])}",
                where=f"offer {self.offer_id[k]}",
                fix="feeder -1 with a transmission bus row, or a feeder index with node row >= 1",
            )

    # ----------------------------------------------------------------- construction helpers
    @classmethod
    def empty(cls, n_periods: int) -> OfferBook:
        """A book without offers."""
        z = np.zeros((0, n_periods))
        e: tuple[str, ...] = ()
        i = np.zeros(0, dtype=np.int64)
        return cls(e, e, e, e, e, i, i, i, np.zeros(0, dtype=bool), z, z.copy())

    @classmethod
    def concat(cls, books: Sequence[OfferBook]) -> OfferBook:
        """Stack books (same number of intervals) row-wise."""
        if not books:
            raise OfferError("nothing to concatenate", where="OfferBook.concat", fix="pass books")
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            vals = [getattr(b, f.name) for b in books]
            if f.name in _ID_FIELDS:
                kwargs[f.name] = tuple(v for t in vals for v in t)
            elif f.name in _GRID_FIELDS:
                kwargs[f.name] = np.vstack(vals)
            else:
                kwargs[f.name] = np.concatenate(vals)
        return cls(**kwargs)

    # ------------------------------------------------------------------------- queries
    @property
    def n_offers(self) -> int:
        """Number of offer steps (rows)."""
        return len(self.offer_id)

    @property
    def n_periods(self) -> int:
        """Number of intervals (columns)."""
        return int(self.quantity_mw.shape[1])

    def __len__(self) -> int:
        return self.n_offers

    def take(self, rows: npt.ArrayLike) -> OfferBook:
        """The sub-book of the given rows (an index array or a boolean mask)."""
        idx = np.asarray(rows)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        idx = idx.astype(np.int64)
        kwargs: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            kwargs[f.name] = tuple(v[i] for i in idx) if f.name in _ID_FIELDS else v[idx]
        return OfferBook(**kwargs)

    def with_quantity(self, quantity_mw: npt.ArrayLike) -> OfferBook:
        """The same steps with new quantities (e.g. residual offers after a first market)."""
        kwargs = {f.name: getattr(self, f.name) for f in fields(self)}
        kwargs["quantity_mw"] = np.asarray(quantity_mw, dtype=np.float64)
        return OfferBook(**kwargs)

    def signed_injection_mw(self, activation_mw: npt.ArrayLike) -> FloatArray:
        """``direction * a``: the change of injection per step and interval (MW)."""
        a = np.asarray(activation_mw, dtype=np.float64)
        return np.asarray(self.direction[:, None] * a, dtype=np.float64)

    def to_frame(self) -> pd.DataFrame:
        """One row per (step, interval): ids, location, quantity and price (long format)."""
        k, t = self.quantity_mw.shape
        rows = np.repeat(np.arange(k), t)
        frame = pd.DataFrame(
            {
                "offer_id": np.asarray(self.offer_id, dtype=object)[rows] if k else [],
                "der_id": np.asarray(self.der_id, dtype=object)[rows] if k else [],
                "aggregator_id": np.asarray(self.aggregator_id, dtype=object)[rows] if k else [],
                "product_id": np.asarray(self.product_id, dtype=object)[rows] if k else [],
                "der_type": np.asarray(self.der_type, dtype=object)[rows] if k else [],
                "direction": self.direction[rows],
                "feeder": self.feeder[rows],
                "node": self.node[rows],
                "reactive": self.reactive[rows],
                "interval": np.tile(np.arange(t), k),
                "quantity_mw": self.quantity_mw.ravel(),
                "price_eur_per_mwh": self.price_eur_per_mwh.ravel(),
            }
        )
        return frame
