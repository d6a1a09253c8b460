"""What each actor sees (information boundaries; design doc "Actors", issue item 6).

* :class:`TsoView`: the transmission network, the interface buses and their scheduled exchange,
  the system need and the offers *as the scheme hands them to the TSO* — an injector table
  whose every row sits at a transmission bus (``feeder == -1``). A TSO view holds no feeder
  topology: there is no feeder, node or branch in it.
* :class:`DsoView`: one feeder (topology, limits, baseline net load) and the offers below it.

Schemes build the views and clear each actor with the data of its view only; what crosses a
boundary is logged in the :class:`~tdcoord.coordination.messages.MessageLog`.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.errors import CoordinationError
from tdcoord.coordination.injectors import Injectors
from tdcoord.grid.model import Feeder, Transmission
from tdcoord.market.eligibility import may_buy
from tdcoord.market.products import Buyer
from tdcoord.types import FloatArray, IntArray


@dataclasses.dataclass(frozen=True, eq=False)
class TsoView:
    """The TSO's data: no feeder topology."""

    transmission: Transmission
    interface_bus_row: IntArray
    interface_schedule_mw: FloatArray
    need_mw: FloatArray
    offers: Injectors

    def __post_init__(self) -> None:
        if (self.offers.feeder != -1).any():
            raise CoordinationError(
                "a TSO view may only hold offers located at transmission buses",
                where="TsoView.offers",
                fix="lump distribution offers at their interface bus (lump_at_interface)",
            )


@dataclasses.dataclass(frozen=True, eq=False)
class DsoView:
    """One DSO's data: its feeder and the offers below it."""

    feeder_index: int
    feeder: Feeder
    base_p_mw: FloatArray
    base_q_mvar: FloatArray
    offers: Injectors


def for_buyers(case: ClearingCase, inj: Injectors, buyers: tuple[Buyer, ...]) -> Injectors:
    """``inj`` as a clearing whose buyers are ``buyers`` sees it: offer steps of products none of
    them may buy (``products.yaml`` ``buyers``, :func:`tdcoord.market.eligibility.may_buy`) get a
    zero cap; virtual injectors (aggregated interface quantities) are kept. The one place the
    buyers rule acts: every clearing that buys passes through it (``ClearingSpec.buyers``)."""
    ok = np.zeros(case.offers.n_offers, dtype=bool)
    for buyer in buyers:
        ok |= may_buy(case.offers, buyer)
    real = inj.offer_row >= 0
    keep = ~real | ok[np.where(real, inj.offer_row, 0)]
    if keep.all():
        return inj
    return inj.with_cap(np.where(keep[:, None], inj.cap, 0.0))


def lump_at_interface(case: ClearingCase, inj: Injectors) -> Injectors:
    """Injectors as the TSO sees them: feeder offers moved to their interface bus."""
    in_f = inj.feeder >= 0
    node = np.where(in_f, case.interface_bus_row[np.maximum(inj.feeder, 0)], inj.node)
    return dataclasses.replace(
        inj, feeder=np.full(inj.n, -1, dtype=np.int64), node=node.astype(np.int64)
    )


def tso_view(case: ClearingCase, inj: Injectors, need_mw: FloatArray | None = None) -> TsoView:
    """The TSO's view of ``inj`` (lumped at interface buses)."""
    tr = case.grid.transmission
    if tr is None:
        raise CoordinationError(
            "this scheme needs a transmission network", where=case.grid.name,
            fix="use a coupled grid (grid.coupling.attach_feeders)",
        )
    return TsoView(
        transmission=tr,
        interface_bus_row=case.interface_bus_row,
        interface_schedule_mw=case.baseline_import_mw,
        need_mw=case.tso_need_mw if need_mw is None else need_mw,
        offers=lump_at_interface(case, inj),
    )


def dso_view(case: ClearingCase, f: int, inj: Injectors) -> DsoView:
    """DSO ``f``'s view: its feeder and the injectors below it."""
    return DsoView(
        feeder_index=f,
        feeder=case.grid.feeders[f],
        base_p_mw=case.feeder_p_mw[f],
        base_q_mvar=case.feeder_q_mvar[f],
        offers=inj.take(inj.feeder == f),
    )
