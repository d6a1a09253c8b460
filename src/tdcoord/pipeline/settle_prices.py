"""The study's ``settlement:`` section applied to one model's day: baseline method, stacking
priority and pricing (``docs/settlement.md``).

* **baseline**: the study's ``settlement.baseline``, else the preset's
  (``Preset.settlement.baseline``: PJM high 4 of 5, NYISO high 5 of 10, CAISO/AEMO 10 of 10, …),
  else ``metered_schedule``. The simulated day has no meter history of its own: the history of
  the day-based methods is :data:`HISTORY_DAYS` non-event days on the day's baseline schedule.
* **stacking priority**: the study's ``settlement.stacking_priority`` (buyer kinds), else the
  preset's, else ``dso_first``.
* **pricing**: ``pay_as_bid`` / ``pay_as_clear`` for every product, else the preset's rule per
  product; ``dlmp``: every activation of a distribution-connected offer at the total DLMP of its
  node in the stage that bought it (:func:`tdcoord.pipeline.prices.day_prices`; where no
  clearing of that stage modelled the feeder, the LMP handed down to its interface; an event's
  real-time re-clear at the real-time stage's prices), and at the
  load-zone price where the preset's price basis for the seller's size is ``load_zone`` (ERCOT
  below 10 MW; :mod:`tdcoord.settlement.locational`). Transmission-connected offers keep their
  preset rule.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from tdcoord.coordination.case import ClearingCase
from tdcoord.market.offers import OfferBook
from tdcoord.market.rules import Preset
from tdcoord.pipeline.prices import ENERGY_MARKET_STAGE
from tdcoord.settlement.locational import LOAD_ZONE, locational_prices
from tdcoord.settlement.settle import pricing_by_row, seller_prices
from tdcoord.simulation.timeline import MARKET_STAGES
from tdcoord.study.schema import SettlementSpec
from tdcoord.types import FloatArray

#: Non-event days of meter history given to the day-based baselines (the longest, 10 of 10).
HISTORY_DAYS = 10

#: The stacking order when neither the study nor the preset gives one.
DEFAULT_PRIORITY = "dso_first"

#: The baseline method when neither the study nor the preset gives one.
DEFAULT_BASELINE = "metered_schedule"


def baseline_method(spec: SettlementSpec, preset: Preset) -> str:
    """The study's baseline method, else the preset's, else :data:`DEFAULT_BASELINE`."""
    if spec.baseline is not None:
        return spec.baseline
    if preset.settlement is not None:
        return preset.settlement.baseline.value
    return DEFAULT_BASELINE


def stacking_priority(spec: SettlementSpec, preset: Preset) -> str | tuple[str, ...]:
    """The study's stacking order, else the preset's, else :data:`DEFAULT_PRIORITY`."""
    if spec.stacking_priority is not None:
        return tuple(spec.stacking_priority)
    rules = preset.settlement
    if rules is not None and rules.stacking_priority is not None:
        return tuple(rules.stacking_priority.value)
    return DEFAULT_PRIORITY


def seller_size_mw(offers: OfferBook) -> dict[str, float]:
    """Per seller (``der_id``): the most it offers in one direction and interval (Σ of its
    active-power steps), the size its price basis is judged by."""
    q = np.where(offers.reactive[:, None], 0.0, offers.quantity_mw)
    frame = pd.DataFrame(q).assign(der_id=list(offers.der_id), direction=offers.direction)
    per_dir = frame.groupby(["der_id", "direction"], sort=False).sum()
    size = per_dir.max(axis=1).groupby(level="der_id", sort=False).max()
    return {str(k): float(v) for k, v in size.items()}


def _lookup(
    prices: pd.DataFrame, stage: Sequence[str], interval: FloatArray, node: Sequence[str]
) -> FloatArray:
    """The total price at (stage, interval, node) per row (NaN where none)."""
    tot = prices.loc[
        prices["component"] == "total", ["stage", "interval", "node", "price_eur_per_mwh"]
    ]
    keys = pd.DataFrame(
        {"stage": list(stage), "interval": np.asarray(interval, dtype=np.int64), "node": list(node)}
    )
    out = keys.merge(tot, on=["stage", "interval", "node"], how="left")
    return np.asarray(out["price_eur_per_mwh"].to_numpy(dtype=np.float64))


def zone_prices(case: ClearingCase, prices: pd.DataFrame) -> pd.DataFrame:
    """Load-zone price per (stage, interval): the demand-weighted mean of the stage's bus LMPs
    (transmission loads + feeder imports as weights; the whole grid is one load zone)."""
    tr = case.grid.transmission
    cols = ["stage", "interval", "zone_eur_per_mwh"]
    if tr is None:
        return pd.DataFrame(columns=cols)
    T = case.n_periods
    w = np.zeros((tr.n_bus, T))
    np.add.at(w, tr.bus_rows(tr.loads.bus), np.maximum(case.load_mw, 0.0))
    np.add.at(w, case.interface_bus_row, np.maximum(case.baseline_import_mw, 0.0))
    w = np.where(w.sum(axis=0, keepdims=True) > 0, w, 1.0)
    labels = pd.Index([f"bus:{int(b)}" for b in tr.buses.id])
    tot = prices[(prices["component"] == "total") & prices["node"].isin(labels)]
    frames = []
    for stage, g in tot.groupby("stage", sort=False, observed=True):
        table = g.pivot(index="node", columns="interval", values="price_eur_per_mwh")
        lmp = table.reindex(index=labels, columns=range(T)).to_numpy(dtype=np.float64)
        z = (lmp * w).sum(axis=0) / w.sum(axis=0)
        frames.append(
            pd.DataFrame({"stage": stage, "interval": np.arange(T), "zone_eur_per_mwh": z})
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


def offer_locations(case: ClearingCase, offers: OfferBook) -> tuple[np.ndarray, np.ndarray]:
    """Per offer row: its node label ``<feeder id>/<node id>`` and its interface bus label
    ``bus:<id>`` (both ``""`` for transmission-connected offers), as in ``prices.csv``."""
    node = np.full(offers.n_offers, "", dtype=object)
    bus = np.full(offers.n_offers, "", dtype=object)
    tr = case.grid.transmission
    for fi, fd in enumerate(case.grid.feeders):
        here = offers.feeder == fi
        if not here.any():
            continue
        ids = np.asarray([f"{fd.id}/{int(n)}" for n in fd.nodes.id], dtype=object)
        node[here] = ids[offers.node[here]]
        if tr is not None:
            bus[here] = f"bus:{int(tr.buses.id[case.interface_bus_row[fi]])}"
    return node, bus


def priced_stages(stage: Sequence[str], prices: pd.DataFrame) -> list[str]:
    """Per activation row the stage whose prices settle it: its own, or for an event's real-time
    re-clear (``event:<k>:<kind>``, whose prices the day does not keep) the real-time stage's."""
    known = set(prices["stage"].astype(str))
    return [s if s in known else MARKET_STAGES[-1] for s in stage]


def _row_prices(
    case: ClearingCase, offers: OfferBook, acts: pd.DataFrame, prices: pd.DataFrame
) -> tuple[FloatArray, FloatArray]:
    """(nodal price per row — NaN for transmission rows —, load-zone price per row)."""
    row = acts["offer_row"].to_numpy(dtype=np.int64)
    f = offers.feeder[row]
    node_of, bus_of = offer_locations(case, offers)
    node, bus = node_of[row].tolist(), bus_of[row].tolist()
    stage = priced_stages(acts["stage"].astype(str).tolist(), prices)
    t = acts["interval"].to_numpy(dtype=np.int64)
    nodal = _lookup(prices, stage, t, node)
    handed = _lookup(prices, stage, t, bus)
    handed = np.where(
        np.isnan(handed), _lookup(prices, [ENERGY_MARKET_STAGE] * len(t), t, bus), handed
    )
    nodal = np.where(np.isnan(nodal), handed, nodal)
    nodal = np.where(f >= 0, nodal, np.nan)
    zones = zone_prices(case, prices)
    keys = pd.DataFrame({"stage": stage, "interval": t})
    zone = keys.merge(zones, on=["stage", "interval"], how="left")["zone_eur_per_mwh"]
    z = zone.to_numpy(dtype=np.float64)
    if len(zones):
        em = zones[zones["stage"] == ENERGY_MARKET_STAGE].set_index("interval")
        fallback = em["zone_eur_per_mwh"].reindex(t).to_numpy(dtype=np.float64)
        z = np.where(np.isnan(z), fallback, z)
    return nodal, z


def dlmp_seller_prices(
    case: ClearingCase,
    offers: OfferBook,
    preset: Preset,
    acts: pd.DataFrame,
    prices: pd.DataFrame,
) -> FloatArray:
    """Seller price per activation row under ``pricing: dlmp`` (module docstring)."""
    cap, floor = preset.energy.price_cap_per_mwh, preset.energy.price_floor_per_mwh
    hi = None if cap is None else float(cap.value)
    lo = None if floor is None else float(floor.value)
    if not len(acts):
        return np.zeros(0)
    rule = seller_prices(acts, pricing_by_row(acts, preset), hi, lo)
    nodal, zone = _row_prices(case, offers, acts, prices)
    size = seller_size_mw(offers)
    basis = {d: preset.der_price_basis(s) for d, s in size.items()}
    load_zone = acts["der_id"].map(basis).to_numpy(dtype=object) == LOAD_ZONE
    load_zone = load_zone & np.isfinite(zone)
    return locational_prices(
        acts["direction"].to_numpy(dtype=np.float64),
        nodal,
        zone,
        load_zone,
        rule,
        price_floor=lo,
        price_cap=hi,
    )
