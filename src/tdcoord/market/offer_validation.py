"""Offer validation: every offer row checked against the fleet, the registry and the preset.

:func:`validate_offers` runs these checks (vectorised over rows; ``M`` is the membership matrix
rows × DERs of :class:`~tdcoord.market.offer_building.OfferSet`) and lists **every** failing row
with its reason (:class:`ValidationReport`); ``strict=True`` raises
:class:`~tdcoord.market.offers.OfferError` on the first (lowest row, checks in this order):

``unknown_product``
    the product id is not registered, or the preset switches it off.
``no_members``
    the row has no member DER (or ``M`` does not match the book and the fleet).
``location``
    a member sits at another feeder/node than the row (location mismatch with the fleet).
``not_prequalified``
    with a registry: a member is not *active* for the product (registered → prequalified →
    active; only active DERs may be offered).
``aggregation``
    the preset forbids aggregation but the row has several members, or a member is below the
    preset's minimum unit size in an aggregation.
``flexibility``
    the cumulative quantity of the steps of one bundle (rows with the same ``der_id``, product,
    direction and kind, in row order) exceeds the members' physical flexibility in some interval
    (``M f`` with ``f`` = up, down or ``q_max``).
``price``
    a price above the preset's cap or below its floor.
``min_size``
    in an interval where the bundle offers something, its total is below the preset's minimum
    (``min_size_mw`` for aggregator rows where the preset allows aggregation,
    ``min_size_standalone_mw`` otherwise).

Negative quantities, non-finite values and malformed locations never get here: the
:class:`~tdcoord.market.offers.OfferBook` constructor rejects them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from tdcoord.der.base import Flexibility
from tdcoord.der.fleet import Fleet
from tdcoord.market.offers import OfferBook, OfferError
from tdcoord.market.products import available_products
from tdcoord.market.rules import Preset, load_preset
from tdcoord.types import BoolArray

#: Checks in the order they run, with the fix printed by ``strict``.
CHECKS: dict[str, str] = {
    "unknown_product": "use a registered product the preset makes available",
    "no_members": "build offers with build_offers (members: one row per offer, one per DER)",
    "location": "offer every DER at its own feeder and node (or bundle only DERs of one node)",
    "not_prequalified": "prequalify and activate the DER for the product in the registry",
    "aggregation": "offer the DER alone or leave it out of the aggregation",
    "flexibility": "offer at most the members' flexibility (Fleet.flexibility) per interval",
    "price": "keep prices within the preset's price floor and cap",
    "min_size": "aggregate more DERs or do not offer below the preset's minimum size",
}
REPORT_COLUMNS = ("row", "offer_id", "der_id", "product_id", "check", "reason")
_TOL = 1e-9


@dataclass(frozen=True, eq=False)
class ValidationReport:
    """Rejected rows (columns :data:`REPORT_COLUMNS`; a row may fail several checks)."""

    n_offers: int
    rejected: pd.DataFrame

    @property
    def ok(self) -> bool:
        return len(self.rejected) == 0

    @property
    def valid(self) -> BoolArray:
        """Per offer row: passed every check."""
        mask = np.ones(self.n_offers, dtype=bool)
        mask[self.rejected["row"].to_numpy(dtype=np.int64)] = False
        return mask

    def accepted(self, book: OfferBook) -> OfferBook:
        """The sub-book of the rows that passed."""
        return book.take(self.valid)


def _first_member(
    bad_pairs: BoolArray, pr: npt.NDArray[np.int64], pc: npt.NDArray[np.int64]
) -> dict[int, int]:
    """Row → first offending member column, from the (row, column) pairs of ``M``."""
    r, c = pr[bad_pairs], pc[bad_pairs]
    rows, first = np.unique(r, return_index=True)
    return dict(zip(rows.tolist(), c[first].tolist(), strict=True))


Add = Callable[[BoolArray, str, Any], None]
"""Record a finding: ``add(rows_mask, check, reason_or_reason_of_row)``."""


def _products(book: OfferBook, pre: Preset, add: Add) -> BoolArray:
    """Rows whose product is known and available under the preset (the others reported)."""
    prods = np.asarray(book.product_id, dtype=object)
    known = np.isin(prods, available_products())
    avail = known.copy()
    for p in set(prods[known].tolist()):
        if not pre.product_available(p):
            avail[prods == p] = False
    add(
        ~avail,
        "unknown_product",
        lambda r: (
            f"product {prods[r]!r} is "
            + ("unknown" if not known[r] else f"not available under preset {pre.id!r}")
        ),
    )
    return avail


def _location(
    book: OfferBook, fleet: Fleet, pr: npt.NDArray[np.int64], pc: npt.NDArray[np.int64], add: Add
) -> None:
    """Every member sits where the offer says (feeder and node)."""
    mism = (fleet.feeder[pc] != book.feeder[pr]) | (fleet.node[pc] != book.node[pr])
    first_bad = _first_member(mism, pr, pc)
    add(
        np.isin(np.arange(book.n_offers), list(first_bad)),
        "location",
        lambda r: (
            f"member {fleet.der_id[first_bad[r]]!r} sits at feeder "
            f"{fleet.feeder[first_bad[r]]} node {fleet.node[first_bad[r]]}, the offer at feeder "
            f"{book.feeder[r]} node {book.node[r]}"
        ),
    )


def _prequalified(
    book: OfferBook,
    fleet: Fleet,
    registry: Any,
    pr: npt.NDArray[np.int64],
    pc: npt.NDArray[np.int64],
    add: Add,
) -> None:
    """Every member is active for the offer's product in the registry."""
    n = book.n_offers
    prods = np.asarray(book.product_id, dtype=object)
    uniq, pcode = np.unique(prods.astype(str), return_inverse=True)
    active = (
        np.vstack([np.isin(fleet.der_id.astype(str), registry.active(str(p))) for p in uniq])
        if n
        else np.zeros((0, fleet.n_der), dtype=bool)
    )
    ok_pair = active[pcode.ravel()[pr], pc] if pr.size else np.zeros(0, dtype=bool)
    nq = _first_member(~ok_pair, pr, pc)
    add(
        np.isin(np.arange(n), list(nq)),
        "not_prequalified",
        lambda r: f"member {fleet.der_id[nq[r]]!r} is not active for {prods[r]} in the registry",
    )


def _prices(book: OfferBook, pre: Preset, add: Add) -> None:
    """Prices within the preset's cap and floor."""
    cap, floor = pre.energy.price_cap_per_mwh, pre.energy.price_floor_per_mwh
    price = book.price_eur_per_mwh
    if cap is not None:
        add(
            np.asarray((price > cap.value).any(axis=1), dtype=bool),
            "price",
            lambda r: f"price {price[r].max():g} above the cap {cap.value:g} of {pre.id}",
        )
    if floor is not None:
        add(
            np.asarray((price < floor.value).any(axis=1), dtype=bool),
            "price",
            lambda r: f"price {price[r].min():g} below the floor {floor.value:g} of {pre.id}",
        )


def _frame(book: OfferBook, found: list[tuple[int, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": np.asarray([f[0] for f in found], dtype=np.int64),
            "offer_id": [book.offer_id[f[0]] for f in found],
            "der_id": [book.der_id[f[0]] for f in found],
            "product_id": [book.product_id[f[0]] for f in found],
            "check": [f[1] for f in found],
            "reason": [f[2] for f in found],
        },
        columns=list(REPORT_COLUMNS),
    )


def validate_offers(
    book: OfferBook,
    fleet: Fleet,
    members: Any,
    preset: Preset | str,
    registry: Any = None,
    strict: bool = False,
    *,
    dt_h: float = 0.25,
    flexibility: Flexibility | None = None,
) -> ValidationReport:
    """Check every row of ``book`` (see the module doc). ``flexibility`` defaults to
    ``fleet.flexibility(book.n_periods, dt_h)``."""
    pre = preset if isinstance(preset, Preset) else load_preset(preset)
    n, T = book.n_offers, book.n_periods
    M = sp.csr_matrix(members, dtype=np.float64)
    if M.shape != (n, fleet.n_der):
        raise OfferError(
            f"members has shape {M.shape}, expected ({n}, {fleet.n_der})",
            where="validate_offers",
            fix="one row per offer and one column per DER of the fleet",
        )
    found: list[tuple[int, str, str]] = []

    def add(mask: BoolArray, check: str, text: Any) -> None:
        for r in np.flatnonzero(mask).tolist():
            found.append((r, check, text(r) if callable(text) else str(text)))

    avail = _products(book, pre, add)
    count = np.asarray(M.sum(axis=1)).ravel()
    add(count == 0, "no_members", "the offer has no member DER in the fleet")
    coo = M.tocoo()
    pr, pc = coo.row.astype(np.int64), coo.col.astype(np.int64)
    _location(book, fleet, pr, pc, add)
    if registry is not None:
        _prequalified(book, fleet, registry, pr, pc, add)
    _aggregation(book, fleet, pre, count, pr, pc, add)
    _flexibility(book, fleet, M, dt_h, flexibility, add)
    _prices(book, pre, add)
    _min_size(book, pre, avail, T, add)
    order = {c: i for i, c in enumerate(CHECKS)}
    found.sort(key=lambda x: (x[0], order[x[1]]))
    if strict and found:
        r, check, reason = found[0]
        raise OfferError(reason, where=f"offer {book.offer_id[r]}", fix=CHECKS[check])
    return ValidationReport(n, _frame(book, found))


def _aggregation(
    book: OfferBook,
    fleet: Fleet,
    pre: Preset,
    count: npt.NDArray[Any],
    pr: npt.NDArray[np.int64],
    pc: npt.NDArray[np.int64],
    add: Any,
) -> None:
    allowed = pre.participation.aggregation_allowed.value
    if not allowed:
        add(count > 1, "aggregation", f"aggregation is not allowed under {pre.id}")
    unit_min = pre.min_unit_in_aggregation_mw()
    small = (fleet.p_max_mw[pc] < unit_min) & (count[pr] > 1)
    first = _first_member(small, pr, pc)
    add(
        np.isin(np.arange(book.n_offers), list(first)),
        "aggregation",
        lambda r: (
            f"member {fleet.der_id[first[r]]!r} ({1e3 * fleet.p_max_mw[first[r]]:g} kW) "
            f"is below the {1e3 * unit_min:g} kW unit minimum in an aggregation of {pre.id}"
        ),
    )


def _groups(book: OfferBook) -> npt.NDArray[np.int64]:
    """Bundle of each row: same der_id, product, direction and kind."""
    keys = pd.DataFrame(
        {
            "d": book.der_id,
            "p": book.product_id,
            "s": book.direction,
            "q": book.reactive,
        }
    )
    return np.asarray(keys.groupby(["d", "p", "s", "q"], sort=False).ngroup(), dtype=np.int64)


def _flexibility(
    book: OfferBook,
    fleet: Fleet,
    M: Any,
    dt_h: float,
    flexibility: Flexibility | None,
    add: Any,
) -> None:
    n, T = book.n_offers, book.n_periods
    if n == 0:
        return
    flex = flexibility if flexibility is not None else fleet.flexibility(T, dt_h)
    q = flex.q_max_mvar if flex.q_max_mvar is not None else np.zeros_like(flex.up_mw)
    avail = np.zeros((n, T))
    for sign, reactive, f in ((1, False, flex.up_mw), (-1, False, flex.down_mw)):
        rows = np.flatnonzero((book.direction == sign) & (book.reactive == reactive))
        avail[rows] = M[rows] @ f
    rows = np.flatnonzero(book.reactive)
    avail[rows] = M[rows] @ q
    grp = _groups(book)
    order = np.argsort(grp, kind="stable")
    qty = book.quantity_mw[order]
    cum = np.cumsum(qty, axis=0)
    g_sorted = grp[order]
    start = np.r_[True, g_sorted[1:] != g_sorted[:-1]]
    offset = np.maximum.accumulate(np.where(start, np.arange(n), 0))
    before = np.where(offset[:, None] > 0, cum[np.maximum(offset - 1, 0)], 0.0)
    cum_group = np.empty_like(cum)
    cum_group[order] = cum - before
    over = cum_group > avail * (1 + _TOL) + _TOL
    bad = over.any(axis=1)
    add(
        bad,
        "flexibility",
        lambda r: (
            lambda t: (
                f"quantity {cum_group[r, t]:.6g} MW (with the earlier steps of the bundle) "
                f"in interval {t} exceeds the members' flexibility {avail[r, t]:.6g} MW"
            )
        )(int(np.argmax(over[r]))),
    )


def _min_size(
    book: OfferBook,
    pre: Preset,
    avail: BoolArray,
    T: int,
    add: Any,
) -> None:
    n = book.n_offers
    if n == 0:
        return
    grp = _groups(book)
    n_g = int(grp.max()) + 1
    total = np.zeros((n_g, T))
    np.add.at(total, grp, book.quantity_mw)
    agg_ok = pre.participation.aggregation_allowed.value
    need = np.zeros(n)
    for p in set(np.asarray(book.product_id, dtype=object)[avail].tolist()):
        rows = np.asarray(book.product_id, dtype=object) == p
        is_agg = (np.asarray(book.aggregator_id, dtype=object) != "") & agg_ok
        need[rows] = np.where(is_agg[rows], pre.min_size_mw(p), pre.min_size_standalone_mw(p))
    tot = total[grp]
    low = avail[:, None] & (tot > _TOL) & (tot < need[:, None] - 1e-12)
    add(
        low.any(axis=1),
        "min_size",
        lambda r: (
            lambda t: (
                f"bundle offers {1e3 * tot[r, t]:.4g} kW in interval {t}, below the "
                f"{1e3 * need[r]:.4g} kW minimum of {pre.id} for {book.product_id[r]}"
            )
        )(int(np.argmax(low[r]))),
    )
