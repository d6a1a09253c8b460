"""Payments: activation prices per preset, availability, penalties, imbalance, congestion rent.

Every payment is one *transaction* row ``(payer, payee, item, interval, mwh, amount_eur)`` plus
``der_id``, ``buyer``, ``product_id`` for tracing; :mod:`tdcoord.settlement.statements` turns each
into two statement rows (payee +amount, payer −amount). Parties: buyers as in
``Outcome.activations`` (``"tso"``, ``"dso:<feeder id>"``, ``"platform"``), ``"aggregator:<id>"``,
``"der:<id>"``, ``"mo"`` (market operator, receives congestion rent).

Activation price per row (what the seller receives per delivered MWh):

* ``pay_as_bid``: the row's ask ``price_eur_per_mwh``.
* ``pay_as_clear``: one uniform price per (buyer, product, interval, direction) = the **highest
  accepted ask** of the rows with ``mw > 0``. OfferBook prices are asks in both directions (for a
  down step: what the seller asks to reduce injection, negative if it pays), so the marginal
  accepted offer is the highest ask up *and* down — equivalently the *lowest* price in the
  bid-to-pay convention of down regulation (ACER Decision 01/2020 marginal pricing of balancing
  energy; CACM Art. 38). Hence pay-as-clear ≥ pay-as-bid row by row.
* Both are clipped to the preset's price floor and cap (``energy.price_floor_per_mwh`` /
  ``price_cap_per_mwh``). A column ``seller_price_eur_per_mwh`` in the activations (e.g. the
  DER's DLMP under nodal settlement) overrides the rule.

Line items (``item``):

* ``activation`` / ``utilisation`` (capacity products, ``Product.availability``): buyer →
  aggregator, seller price × delivered MWh.
* ``congestion_rent``: buyer → ``mo``, (buyer price − seller price) × delivered MWh, when the
  activations carry ``buyer_price_eur_per_mwh`` (buyer pays an LMP/DLMP, seller gets another;
  seed 000 §3.2 hierarchical LMP → DLMP pricing). Negative rent is allowed (paid by ``mo``).
* ``availability``: buyer → aggregator, ``price_eur_per_mw_h`` × reserved MW × dt_h.
* ``penalty``: aggregator → buyer, :class:`PenaltyRule` on the **undelivered** MWh only.
* ``imbalance``: imbalance counterparty (``"tso"``) → BRP (the aggregator, or ``der:<id>`` with
  none), single imbalance price × imbalance MWh (negative = the BRP pays); Reg. (EU) 2019/943
  Art. 6 / EB GL Art. 52-55 (single imbalance pricing, ACER Decision 18/2020).
* ``der_remuneration``: aggregator → DER, (1 − fee share) × the DER's activation, utilisation and
  availability income net of its penalties.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from tdcoord.market.products import get_product
from tdcoord.market.rules import Preset
from tdcoord.settlement._common import check_dt
from tdcoord.settlement.errors import SettlementError
from tdcoord.types import FloatArray

PRICING_RULES: tuple[str, ...] = ("pay_as_clear", "pay_as_bid")

TRANSACTION_COLUMNS: tuple[str, ...] = (
    "payer",
    "payee",
    "item",
    "interval",
    "mwh",
    "amount_eur",
    "der_id",
    "buyer",
    "product_id",
)

_CLEAR_KEYS = ["buyer", "product_id", "interval", "direction"]


def aggregator_party(aggregator_id: str) -> str:
    return f"aggregator:{aggregator_id}"


def der_party(der_id: str) -> str:
    return f"der:{der_id}"


@dataclass(frozen=True)
class PenaltyRule:
    """Penalty on undelivered energy: ``factor × max(|seller price|, floor_eur_per_mwh)`` per
    undelivered MWh, paid by the aggregator to the buyer. Zero when delivery is complete.

    Rule-book practice varies (seed 000 §2.3: "penalties for non-delivery" is a design variable;
    seed 000 §3.2: "penalties for non-fulfillment of commitments"); GB DSO flexibility contracts
    (ENA Open Networks standard agreement) cut payments by performance. The default multiple 1.5
    is a study assumption: set it per study.
    """

    factor: float = 1.5
    floor_eur_per_mwh: float = 0.0

    def __post_init__(self) -> None:
        if not (np.isfinite(self.factor) and self.factor >= 0):
            raise SettlementError(
                f"penalty factor {self.factor!r} must be >= 0",
                where="PenaltyRule.factor",
                fix="e.g. 1.5 (1.5 × the price per undelivered MWh)",
            )
        if not (np.isfinite(self.floor_eur_per_mwh) and self.floor_eur_per_mwh >= 0):
            raise SettlementError(
                f"penalty floor {self.floor_eur_per_mwh!r} must be >= 0",
                where="PenaltyRule.floor_eur_per_mwh",
                fix="give a non-negative price",
            )

    def price_eur_per_mwh(self, seller_price: npt.ArrayLike) -> FloatArray:
        p = np.abs(np.asarray(seller_price, dtype=np.float64))
        return np.asarray(self.factor * np.maximum(p, self.floor_eur_per_mwh), dtype=np.float64)


def pricing_by_row(
    activations: pd.DataFrame, preset: Preset, override: Mapping[str, str] | None = None
) -> npt.NDArray[np.str_]:
    """The pricing rule of each row: ``override[product_id]`` if given, else
    ``preset.pricing(product_id)``. Unknown rules raise :class:`SettlementError`."""
    override = dict(override or {})
    for product, rule in override.items():
        if rule not in PRICING_RULES:
            raise SettlementError(
                f"unknown pricing rule {rule!r} for product {product!r}",
                where="pricing override",
                fix=f"use one of {', '.join(PRICING_RULES)}",
            )
    products = activations["product_id"].unique()
    rules = {str(p): override.get(str(p)) or preset.pricing(str(p)) for p in products}
    return np.asarray(activations["product_id"].map(rules).to_numpy(dtype=str))


def seller_prices(
    activations: pd.DataFrame,
    rules: npt.ArrayLike,
    price_cap: float | None = None,
    price_floor: float | None = None,
) -> FloatArray:
    """Price per MWh each row's seller receives under its rule (see the module docstring)."""
    rule = np.asarray(rules, dtype=str)
    bad = ~np.isin(rule, PRICING_RULES)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise SettlementError(
            f"unknown pricing rule {rule[i]!r}",
            where=f"activations row {i}",
            fix=f"use one of {', '.join(PRICING_RULES)}",
        )
    bid = activations["price_eur_per_mwh"].to_numpy(dtype=np.float64)
    accepted = activations["mw"].to_numpy(dtype=np.float64) > 0
    clear = bid.copy()
    if accepted.any():
        grp = activations.loc[accepted, [*_CLEAR_KEYS, "price_eur_per_mwh"]]
        clear[accepted] = grp.groupby(_CLEAR_KEYS)["price_eur_per_mwh"].transform("max").to_numpy()
    price = np.where(rule == "pay_as_clear", clear, bid)
    lo = -np.inf if price_floor is None else price_floor
    hi = np.inf if price_cap is None else price_cap
    return np.asarray(np.clip(price, lo, hi), dtype=np.float64)


def _frame(**cols: object) -> pd.DataFrame:
    out = pd.DataFrame(cols)
    return out.loc[:, list(TRANSACTION_COLUMNS)]


def empty_transactions() -> pd.DataFrame:
    out = pd.DataFrame(
        {
            c: pd.Series(dtype=np.float64 if c in ("mwh", "amount_eur") else object)
            for c in TRANSACTION_COLUMNS
        }
    )
    out["interval"] = out["interval"].astype(np.int64)
    return out


def activation_items(delivered: pd.DataFrame, penalty: PenaltyRule) -> pd.DataFrame:
    """Activation/utilisation, congestion rent and penalty transactions from the delivery frame
    (:func:`~tdcoord.settlement.delivery.measure_delivery` output with
    ``seller_price_eur_per_mwh`` and ``buyer_price_eur_per_mwh`` columns)."""
    if delivered.empty:
        return empty_transactions()
    seller = delivered["seller_price_eur_per_mwh"].to_numpy(dtype=np.float64)
    buyer_p = delivered["buyer_price_eur_per_mwh"].to_numpy(dtype=np.float64)
    mwh = delivered["delivered_mwh"].to_numpy(dtype=np.float64)
    short = delivered["undelivered_mwh"].to_numpy(dtype=np.float64)
    agg = delivered["aggregator_id"].map(aggregator_party).to_numpy(dtype=object)
    buyer = delivered["buyer"].to_numpy(dtype=object)
    products = delivered["product_id"].unique()
    is_cap = {str(p): get_product(str(p)).availability for p in products}
    item = np.where(delivered["product_id"].map(is_cap).to_numpy(bool), "utilisation", "activation")
    common = {
        "interval": delivered["interval"].to_numpy(dtype=np.int64),
        "der_id": delivered["der_id"].to_numpy(dtype=object),
        "buyer": buyer,
        "product_id": delivered["product_id"].to_numpy(dtype=object),
    }
    pay = _frame(payer=buyer, payee=agg, item=item, mwh=mwh, amount_eur=seller * mwh, **common)
    rent = _frame(
        payer=buyer,
        payee="mo",
        item="congestion_rent",
        mwh=mwh,
        amount_eur=(buyer_p - seller) * mwh,
        **common,
    )
    pen = _frame(
        payer=agg,
        payee=buyer,
        item="penalty",
        mwh=short,
        amount_eur=penalty.price_eur_per_mwh(seller) * short,
        **common,
    )
    pay = pay.loc[mwh > 0]
    rent = rent.loc[(mwh > 0) & (buyer_p != seller)]
    pen = pen.loc[pen["amount_eur"].to_numpy() > 0]
    out: pd.DataFrame = pd.concat([pay, rent, pen], ignore_index=True)
    return out


AVAILABILITY_COLUMNS: tuple[str, ...] = (
    "der_id",
    "aggregator_id",
    "buyer",
    "product_id",
    "interval",
    "mw",
    "price_eur_per_mw_h",
)


def availability_items(availability: pd.DataFrame | None, dt_h: float) -> pd.DataFrame:
    """``availability`` transactions: one per row of reserved capacity (columns
    :data:`AVAILABILITY_COLUMNS`; ``mw`` >= 0 reserved, ``price_eur_per_mw_h`` per MW and hour)."""
    dt = check_dt(dt_h)
    if availability is None or availability.empty:
        return empty_transactions()
    missing = [c for c in AVAILABILITY_COLUMNS if c not in availability.columns]
    if missing:
        raise SettlementError(
            f"availability lacks column(s) {missing}",
            where="availability",
            fix=f"give columns {list(AVAILABILITY_COLUMNS)}",
        )
    frame = availability.reset_index(drop=True)
    mw = frame["mw"].to_numpy(dtype=np.float64)
    price = frame["price_eur_per_mw_h"].to_numpy(dtype=np.float64)
    bad = ~np.isfinite(mw) | ~np.isfinite(price) | (mw < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise SettlementError(
            f"reserved capacity {mw[i]!r} MW at {price[i]!r} per MW·h is not valid",
            where=f"availability row {i} (DER {frame['der_id'].iat[i]})",
            fix="reserved MW must be finite and >= 0, prices finite",
        )
    for p in frame["product_id"].astype(str).unique():
        if not get_product(p).availability:
            raise SettlementError(
                f"product {p!r} is not a capacity (availability) product",
                where="availability.product_id",
                fix="availability payments apply to products with availability: true "
                "(e.g. capacity_nwa)",
            )
    return _frame(
        payer=frame["buyer"].astype(str).to_numpy(dtype=object),
        payee=frame["aggregator_id"].astype(str).map(aggregator_party).to_numpy(dtype=object),
        item="availability",
        interval=frame["interval"].to_numpy(dtype=np.int64),
        mwh=mw * dt,
        amount_eur=price * mw * dt,
        der_id=frame["der_id"].astype(str).to_numpy(dtype=object),
        buyer=frame["buyer"].astype(str).to_numpy(dtype=object),
        product_id=frame["product_id"].astype(str).to_numpy(dtype=object),
    )


def imbalance_items(
    imbalance_mw: npt.ArrayLike,
    brp_of_der: Sequence[str],
    price_eur_per_mwh: npt.ArrayLike,
    dt_h: float,
    counterparty: str = "tso",
) -> pd.DataFrame:
    """Imbalance transactions per (BRP, interval): ``price[t] × Σ_{u in BRP} I[u, t] · dt_h``,
    paid by ``counterparty`` to the BRP (negative when the BRP is short at a positive price).
    ``brp_of_der[u]`` is the party of DER row u; ``price`` is a scalar or one value per interval.
    """
    dt = check_dt(dt_h)
    imb = np.asarray(imbalance_mw, dtype=np.float64)
    t_n = imb.shape[1]
    raw = np.asarray(price_eur_per_mwh, dtype=np.float64)
    if raw.shape not in ((), (t_n,)) or not np.isfinite(raw).all():
        raise SettlementError(
            "imbalance price must be finite, a scalar or one value per interval",
            where="imbalance_price_eur_per_mwh",
            fix=f"give a number or an array of {t_n} prices",
        )
    price = np.broadcast_to(raw, (t_n,))
    parties, inv = np.unique(np.asarray(brp_of_der, dtype=str), return_inverse=True)
    mwh = np.zeros((len(parties), t_n))
    np.add.at(mwh, inv, imb * dt)
    p_idx, t_idx = np.nonzero(np.abs(mwh) > 1e-12)
    vol = mwh[p_idx, t_idx]
    return _frame(
        payer=counterparty,
        payee=parties[p_idx].astype(object),
        item="imbalance",
        interval=t_idx.astype(np.int64),
        mwh=vol,
        amount_eur=price[t_idx] * vol,
        der_id="",
        buyer="",
        product_id="",
    )


def pass_through_items(items: pd.DataFrame, fee_share: float) -> pd.DataFrame:
    """``der_remuneration``: each aggregator passes ``1 − fee_share`` of what each of its DERs
    earned (activation, utilisation, availability) net of the DER's penalties, per interval."""
    if not (np.isfinite(fee_share) and 0.0 <= fee_share <= 1.0):
        raise SettlementError(
            f"aggregator fee share {fee_share!r} outside [0, 1]",
            where="aggregator_fee_share",
            fix="give the fraction the aggregator keeps, e.g. 0.2",
        )
    earn = items["item"].isin(("activation", "utilisation", "availability"))
    pen = items["item"] == "penalty"
    rel = items.loc[earn | pen].copy()
    if rel.empty:
        return empty_transactions()
    rel["agg"] = np.where(earn[earn | pen], rel["payee"], rel["payer"])
    rel["net"] = np.where(earn[earn | pen], rel["amount_eur"], -rel["amount_eur"])
    net = rel.groupby(["agg", "der_id", "interval"], sort=True)["net"].sum().reset_index()
    net = net.loc[net["net"] != 0]
    return _frame(
        payer=net["agg"].to_numpy(dtype=object),
        payee=net["der_id"].map(der_party).to_numpy(dtype=object),
        item="der_remuneration",
        interval=net["interval"].to_numpy(dtype=np.int64),
        mwh=0.0,
        amount_eur=(1.0 - fee_share) * net["net"].to_numpy(dtype=np.float64),
        der_id=net["der_id"].to_numpy(dtype=object),
        buyer="",
        product_id="",
    )
