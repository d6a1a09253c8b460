"""The prices of a cleared session with their components, as stored and served by ``/prices``.

One record per location: ``kind`` ``lmp`` (transmission ``bus``) or ``dlmp`` (``feeder`` and
``node`` row), ``label`` (the location as in ``prices.csv``: ``bus:<id>``, ``<feeder>/<node id>``),
the total ``price_eur_per_mwh`` per interval and ``components`` — for an LMP ``energy`` and
``congestion`` (the DC network is lossless and has no voltage rows), for a DLMP ``energy``,
``loss``, ``congestion`` and ``voltage`` (seed 000 §1.4: the transmission LMP at the T–D
interface is the DSO's root price, the energy component). In every record the components add
up to the total.

The records are read from the long price table of one stage's clearing,
:func:`tdcoord.coordination.price_table.stage_prices` (columns ``interval``, ``node``,
``component``, ``price_eur_per_mwh``) — the table ``compare`` writes to ``prices.csv`` for the
same model and stage, with the same root price handed down (:func:`session_price_table`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.outcome import Outcome
from tdcoord.coordination.price_table import LMP_COMPONENTS, stage_prices
from tdcoord.coordination.prices import DLMP_COMPONENTS
from tdcoord.types import FloatArray

#: Components of a transmission LMP and of a feeder DLMP (``total`` is ``price_eur_per_mwh``).
LMP_PARTS: tuple[str, ...] = tuple(c for c in LMP_COMPONENTS if c != "total")
DLMP_PARTS: tuple[str, ...] = tuple(c for c in DLMP_COMPONENTS if c != "total")


def session_price_table(
    case: ClearingCase, outcome: Outcome, market_lmp_eur_per_mwh: FloatArray | None
) -> pd.DataFrame:
    """Every price of one session's clearing as :func:`stage_prices` rows; a stage without its
    own transmission price hands down the day-ahead energy market's LMPs
    ``market_lmp_eur_per_mwh`` ``(n_bus, T)`` as the DLMPs' root price, as ``compare`` does
    (:func:`tdcoord.pipeline.prices.day_prices`)."""
    return stage_prices(case, outcome, market_lmp_eur_per_mwh)


def price_records(
    table: pd.DataFrame, bus_ids: list[int], feeders: list[tuple[str, list[int]]]
) -> list[dict[str, Any]]:
    """The ``/prices`` records (module doc) of a long price table: transmission buses in grid
    order (``bus_ids``), then each feeder's nodes (``feeders``: feeder id and node ids, in grid
    order); a location the table does not price is left out."""
    if len(table) == 0:
        return []
    table = table.astype({"node": str, "component": str})
    series = {
        key: g.sort_values("interval")["price_eur_per_mwh"].to_numpy(np.float64)
        for key, g in table.groupby(["node", "component"], sort=False)
    }
    out: list[dict[str, Any]] = []

    def add(label: str, parts: tuple[str, ...], where: dict[str, Any]) -> None:
        if (label, "total") not in series:
            return
        comps = {c: series[(label, c)].tolist() for c in parts if (label, c) in series}
        out.append(where | {"label": label, "price_eur_per_mwh": series[(label, "total")].tolist(),
                            "components": comps})

    for b in bus_ids:
        add(f"bus:{b}", LMP_PARTS, {"kind": "lmp", "bus": b, "feeder": None, "node": None})
    for fid, nodes in feeders:
        for row, n in enumerate(nodes):
            add(f"{fid}/{n}", DLMP_PARTS,
                {"kind": "dlmp", "bus": None, "feeder": fid, "node": row})
    return out
