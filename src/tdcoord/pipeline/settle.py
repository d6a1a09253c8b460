"""Settle one model's day: metered = baseline + delivered, per seller (a DER or a bundle).

The seller's meter is its members' baseline plus what they delivered; the baseline is the
metered schedule (``metered_schedule``). With the day-ahead price, imbalance is settled too:
each seller's BRP position is its intraday forecast (``Day.der_forecast_mw``), the price the
single imbalance price of :func:`tdcoord.settlement.imbalance_price.single_imbalance_price` from
the TSO's activations. Capacity products with an availability price are paid for what the
day-ahead market reserved (:func:`tdcoord.settlement.reservation.reserved_availability`).
Value stacking caps what all buyers get by what each seller can deliver per direction (no MW
sold twice). The baseline method, the stacking priority and the pricing come from the study's
``settlement:`` section, else the preset (:mod:`tdcoord.pipeline.settle_prices`): by default the
preset's baseline method, DSO congestion before TSO balancing, the preset's pricing rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tdcoord.market.offers import OfferBook
from tdcoord.pipeline.prices import day_prices
from tdcoord.pipeline.settle_prices import (
    HISTORY_DAYS,
    baseline_method,
    dlmp_seller_prices,
    stacking_priority,
)
from tdcoord.pipeline.shared import SharedDay
from tdcoord.settlement.imbalance_price import single_imbalance_price
from tdcoord.settlement.reservation import reserved_availability
from tdcoord.settlement.run import Settlement, SettlementInputs, settle
from tdcoord.simulation.timeline import ModelDay
from tdcoord.study.schema import SettlementSpec


def bundle_matrix(offers: OfferBook, members: sp.csr_matrix) -> tuple[list[str], sp.csr_matrix]:
    """The sellers named in the offers (``der_id``: a DER or a bundle) and their members."""
    names: list[str] = []
    first: dict[str, int] = {}
    for i, d in enumerate(offers.der_id):
        if d not in first:
            first[d] = i
            names.append(d)
    rows = np.array([first[d] for d in names], dtype=np.int64)
    return names, sp.csr_matrix(members[rows])


def settlement_spec(shared: SharedDay) -> SettlementSpec:
    """The study's ``settlement:`` section (all defaults without a study)."""
    return shared.study.settlement if shared.study is not None else SettlementSpec()


def settlement_inputs(
    shared: SharedDay, md: ModelDay, prices: pd.DataFrame | None = None
) -> SettlementInputs:
    """The :class:`~tdcoord.settlement.run.SettlementInputs` of one model's day (``prices``:
    :func:`~tdcoord.pipeline.prices.day_prices`, computed when needed and not given)."""
    day, offers = shared.day, shared.offers
    names, bundles = bundle_matrix(offers, shared.members)
    seller = set(names)
    base = np.asarray(bundles @ day.der_baseline_mw)
    aggregator = {
        d: a for d, a in zip(offers.der_id, offers.aggregator_id, strict=True) if a and d != a
    }
    acts = md.outcome.activations
    if len(acts):
        acts = acts[acts["der_id"].isin(seller)]
    price = shared.market.price_eur_per_mwh
    forecast = day.der_forecast_mw.get("intraday", day.der_baseline_mw)
    reserved = None
    avail_price = shared.availability_price_eur_per_mw_h
    if avail_price and "day_ahead" in md.stages:
        reserved = reserved_availability(md.stages["day_ahead"].activations, avail_price)
        reserved = reserved[reserved["der_id"].isin(seller)]
    flex = day.flexibility
    spec = settlement_spec(shared)
    pricing = None
    if spec.pricing == "dlmp" and len(acts):
        table = day_prices(shared, md) if prices is None else prices
        dlmp_price = dlmp_seller_prices(md.case, offers, shared.preset, acts, table)
        acts = acts.assign(seller_price_eur_per_mwh=dlmp_price)
    elif spec.pricing is not None:
        pricing = {str(p): spec.pricing for p in offers.product_id}
    return SettlementInputs(
        activations=acts,
        metered_mw=base + np.asarray(bundles @ md.response.delivered_mw),
        baseline_name=baseline_method(spec, shared.preset),
        history_mw=np.repeat(base[None], HISTORY_DAYS, axis=0),
        before_mw=base[:, 0],
        pricing=pricing,
        preset=shared.preset,
        der_ids=names,
        dt_h=day.dt_h,
        schedule_mw=base,
        der_aggregator=aggregator,
        capacity_up_mw=np.asarray(bundles @ flex.up_mw),
        capacity_down_mw=np.asarray(bundles @ flex.down_mw),
        priority=stacking_priority(spec, shared.preset),
        availability=reserved,
        imbalance_price_eur_per_mwh=single_imbalance_price(price, md.outcome.activations),
        position_mw=np.asarray(bundles @ forecast),
    )


def settle_model(shared: SharedDay, md: ModelDay, prices: pd.DataFrame | None = None) -> Settlement:
    """Settle one model's day (see module docstring; ``prices`` as in
    :func:`settlement_inputs`)."""
    return settle(settlement_inputs(shared, md, prices))
