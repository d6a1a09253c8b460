"""Build activation tables in the ``Outcome.activations`` format for tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

COLUMNS = [
    "offer_row",
    "offer_id",
    "der_id",
    "aggregator_id",
    "der_type",
    "product_id",
    "interval",
    "buyer",
    "direction",
    "mw",
    "price_eur_per_mwh",
    "cost_eur",
]


def act(
    rows: Sequence[tuple[str, str, str, int, str, int, float, float]], dt_h: float = 1.0
) -> pd.DataFrame:
    """Rows of (der_id, aggregator_id, product_id, interval, buyer, direction, mw, price)."""
    recs: list[dict[str, Any]] = []
    for k, (der, agg, prod, t, buyer, d, mw, price) in enumerate(rows):
        recs.append(
            {
                "offer_row": k,
                "offer_id": f"o{k}",
                "der_id": der,
                "aggregator_id": agg,
                "der_type": "battery",
                "product_id": prod,
                "interval": t,
                "buyer": buyer,
                "direction": d,
                "mw": mw,
                "price_eur_per_mwh": price,
                "cost_eur": price * mw * dt_h,
            }
        )
    return pd.DataFrame(recs, columns=COLUMNS)
