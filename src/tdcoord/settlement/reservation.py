"""Capacity reserved in the day-ahead market, as availability rows for settlement.

Capacity (availability) products — non-wires alternatives, DSO availability tenders (seed 000
§1.2; NODES LongFlex, ENA flexibility services) — are paid twice: an **availability** price per
MW reserved and hour, and a **utilisation** price per MWh activated. In the simulated day the
day-ahead flexibility market is the reservation: what a buyer accepts there of a capacity product
is reserved capacity for that interval (and its delivery is utilisation, settled as any
activation). :func:`reserved_availability` turns those acceptances into the availability rows of
:func:`tdcoord.settlement.settle.availability_items`: one row per (seller, buyer, product,
interval), ``mw`` the reserved MW, ``price_eur_per_mw_h`` the study's availability price.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from tdcoord.settlement.errors import SettlementError
from tdcoord.settlement.settle import AVAILABILITY_COLUMNS

_KEYS = ["der_id", "aggregator_id", "buyer", "product_id", "interval"]


def reserved_availability(
    day_ahead_activations: pd.DataFrame, price_eur_per_mw_h: Mapping[str, float]
) -> pd.DataFrame:
    """Availability rows (columns ``AVAILABILITY_COLUMNS``) for the products priced in
    ``price_eur_per_mw_h`` from the day-ahead acceptances (``Outcome.activations`` layout)."""
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in AVAILABILITY_COLUMNS})
    if not price_eur_per_mw_h or day_ahead_activations.empty:
        return empty
    bad = {p: v for p, v in price_eur_per_mw_h.items() if not (np.isfinite(v) and v >= 0)}
    if bad:
        p = next(iter(bad))
        raise SettlementError(
            f"availability price {bad[p]!r} for {p!r}",
            where="availability_price_eur_per_mw_h",
            fix="give a finite price >= 0 per MW and hour",
        )
    acts = day_ahead_activations[
        day_ahead_activations["product_id"].isin(list(price_eur_per_mw_h))
        & (day_ahead_activations["mw"].to_numpy(dtype=np.float64) > 0)
    ]
    if acts.empty:
        return empty
    rows = pd.DataFrame(acts.groupby(_KEYS, sort=True)["mw"].sum()).reset_index()
    rows["price_eur_per_mw_h"] = rows["product_id"].map(dict(price_eur_per_mw_h)).astype(float)
    return pd.DataFrame(rows[list(AVAILABILITY_COLUMNS)])
