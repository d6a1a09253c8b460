"""Injectors: the columns of a clearing LP that change injections (offer steps or virtual ones).

An injector ``k`` located at ``(feeder[k], node[k])`` (``feeder = -1``: transmission bus row
``node``) changes the injection there by ``direction[k] · a[k, t]`` with ``0 ≤ a ≤ cap``, at
``price[k, t]`` €/MWh. Offer steps of the case map one to one (``offer_row`` = their row);
virtual injectors (``offer_row = -1``) stand for aggregated interface quantities.

**Canonical tie-break.** Offer steps enter every clearing at their bid price plus a tiny,
deterministic, strictly increasing perturbation by a canonical key (:func:`tie_break_eur_per_mwh`):

    p̃_kt = p_kt + η·(r_k + 1)/(N + 1),    0 < η·(r_k + 1)/(N + 1) < η,

with ``r_k`` the rank of offer ``k``'s id in the sorted ids of the case's offer book (id order, not
row order), ``N`` the number of offers and ``η`` = :data:`TIE_BREAK_EUR_PER_MWH`. Among optima of
equal bid cost the LP then prefers the offer with the smaller id, so every scheme that solves the
same problem (one joint LP, or its Benders decomposition) returns the same dispatch. ``η`` is half
the smallest price tick of European balancing and intraday markets (0.01 €/MWh), so two bids that
differ by at least a tick keep their merit order; the real cost of the chosen optimum exceeds the
true optimum by at most ``η`` × the activated MWh. Outcome costs, settlement and KPIs use the bid
prices (``case.offers.price_eur_per_mwh``); only the clearings (their objective, interface curves
and the prices they return) see ``p̃`` (docs/coordination.md, "Canonical tie-break").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from tdcoord.coordination.case import ClearingCase
from tdcoord.types import BoolArray, FloatArray, IntArray

#: Span η of the canonical tie-break (€/MWh): half the smallest market price tick (0.01 €/MWh).
TIE_BREAK_EUR_PER_MWH = 0.005


def tie_break_eur_per_mwh(offer_id: Sequence[str]) -> FloatArray:
    """The canonical tie-break ``η (r_k + 1) / (N + 1)`` per offer (module docstring): strictly
    increasing in the offer id, in ``(0, η)``, independent of the order of the rows."""
    n = len(offer_id)
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(np.asarray(offer_id, dtype=str), kind="stable")] = np.arange(n)
    return np.asarray(TIE_BREAK_EUR_PER_MWH * (rank + 1) / (n + 1), dtype=np.float64)


@dataclasses.dataclass(frozen=True, eq=False)
class Injectors:
    """Injector table; 2-D arrays are (K, T)."""

    offer_row: IntArray
    feeder: IntArray
    node: IntArray
    direction: IntArray
    reactive: BoolArray
    price: FloatArray
    cap: FloatArray

    @property
    def n(self) -> int:
        """Number of injectors K."""
        return len(self.offer_row)

    def take(self, rows: npt.ArrayLike) -> Injectors:
        """Sub-table of the given rows (index array or mask)."""
        idx = np.asarray(rows)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        return Injectors(*(getattr(self, f.name)[idx] for f in dataclasses.fields(self)))

    def with_cap(self, cap: FloatArray) -> Injectors:
        """Same injectors with new caps."""
        return dataclasses.replace(self, cap=np.asarray(cap, dtype=np.float64))

    @staticmethod
    def concat(parts: list[Injectors]) -> Injectors:
        """Stack tables row-wise."""
        return Injectors(
            *(
                np.concatenate([getattr(p, f.name) for p in parts], axis=0)
                for f in dataclasses.fields(Injectors)
            )
        )


def offer_injectors(
    case: ClearingCase, rows: npt.ArrayLike | None = None, cap_mw: FloatArray | None = None
) -> Injectors:
    """Injectors of offer steps ``rows`` (all when ``None``), capped at ``cap_mw`` (K, T), priced
    at their bid plus the canonical tie-break (:func:`tie_break_eur_per_mwh`)."""
    o = case.offers
    idx = np.arange(o.n_offers) if rows is None else np.asarray(rows)
    if idx.dtype == bool:
        idx = np.flatnonzero(idx)
    idx = idx.astype(np.int64)
    cap = o.quantity_mw[idx] if cap_mw is None else np.asarray(cap_mw, dtype=np.float64)
    return Injectors(
        offer_row=idx,
        feeder=o.feeder[idx],
        node=o.node[idx],
        direction=o.direction[idx],
        reactive=o.reactive[idx],
        price=o.price_eur_per_mwh[idx] + tie_break_eur_per_mwh(o.offer_id)[idx, None],
        cap=np.minimum(cap, o.quantity_mw[idx]),
    )


def virtual_injectors(
    bus_row: IntArray, direction: IntArray, price: FloatArray, cap: FloatArray
) -> Injectors:
    """Virtual transmission-level injectors (aggregated interface quantities)."""
    k = len(bus_row)
    return Injectors(
        offer_row=np.full(k, -1, dtype=np.int64),
        feeder=np.full(k, -1, dtype=np.int64),
        node=np.asarray(bus_row, dtype=np.int64),
        direction=np.asarray(direction, dtype=np.int64),
        reactive=np.zeros(k, dtype=bool),
        price=np.asarray(price, dtype=np.float64),
        cap=np.asarray(cap, dtype=np.float64),
    )


@dataclasses.dataclass(frozen=True, eq=False)
class Prior:
    """Injection changes already committed by earlier stages (signed MW / Mvar)."""

    bus_p_mw: FloatArray  # (n_bus, T) transmission-connected
    feeder_p_mw: tuple[FloatArray, ...]  # per feeder (n_node, T)
    feeder_q_mvar: tuple[FloatArray, ...]
    #: The offer activations ``(n_offers, T)`` behind these changes when known
    #: (:func:`prior_from_activation`): a time-coupled clearing counts their energy
    #: (:mod:`tdcoord.coordination.intertemporal`).
    activation_mw: FloatArray | None = None

    def total_p_mw(self) -> FloatArray:
        """Σ of all P changes per interval (T,)."""
        tot = self.bus_p_mw.sum(axis=0)
        for p in self.feeder_p_mw:
            tot = tot + p.sum(axis=0)
        return np.asarray(tot, dtype=np.float64)


def zero_prior(case: ClearingCase) -> Prior:
    """No committed changes."""
    T = case.n_periods
    n_bus = case.grid.transmission.n_bus if case.grid.transmission is not None else 0
    return Prior(
        np.zeros((n_bus, T)),
        tuple(np.zeros((f.n_node, T)) for f in case.grid.feeders),
        tuple(np.zeros((f.n_node, T)) for f in case.grid.feeders),
    )


def prior_from_activation(case: ClearingCase, activation_mw: FloatArray) -> Prior:
    """The injection changes of activations (n_offers, T) of the case's offer book."""
    o = case.offers
    base = zero_prior(case)
    signed = o.direction[:, None] * np.asarray(activation_mw, dtype=np.float64)
    bus = base.bus_p_mw.copy()
    t_rows = np.flatnonzero((o.feeder == -1) & ~o.reactive)
    np.add.at(bus, o.node[t_rows], signed[t_rows])
    fp, fq = [], []
    for f, (p0, q0) in enumerate(zip(base.feeder_p_mw, base.feeder_q_mvar, strict=True)):
        p, q = p0.copy(), q0.copy()
        rp = np.flatnonzero((o.feeder == f) & ~o.reactive)
        rq = np.flatnonzero((o.feeder == f) & o.reactive)
        np.add.at(p, o.node[rp], signed[rp])
        np.add.at(q, o.node[rq], signed[rq])
        fp.append(p)
        fq.append(q)
    return Prior(bus, tuple(fp), tuple(fq), np.asarray(activation_mw, dtype=np.float64).copy())
