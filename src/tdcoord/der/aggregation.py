"""Merit-order aggregated offer curves per node, per feeder and per T–D interface.

For a location group ``L`` (a node, a feeder, or an interface = all feeders below one
transmission bus through one transformer), an interval ``t`` and a direction, the aggregated
curve is the staircase of the offer steps of ``L`` sorted by price (ties by row order —
deterministic), with cumulative quantity

    Q_L(k, t) = Σ_{j ≤ k} q_(j)(t),      price non-decreasing in k,

so ``Q_L`` at the last step equals the total offered quantity of ``L`` (quantities are
conserved; a hypothesis test checks it). This is the aggregation of seed 001 §III.B (multi-level
and local market models: the DSO aggregates offers per interface); the DSO's *grid-aware* interface
offer (which removes what its feeder cannot deliver) is
:mod:`tdcoord.coordination.interface_offer`.

Levels: ``"node"`` (keys ``feeder, node``; transmission-connected offers keep ``feeder = −1`` and
their bus row), ``"feeder"`` (key ``feeder``; distribution offers only) and ``"interface"`` (key
``transmission_bus``: the transmission bus row of the feeder's T–D interface, from
``GridModel.interfaces`` — all feeders below one bus form one curve, what the TSO sees at that
bus; distribution offers of feeders without an interface are left out). Active and reactive
steps form separate curves (``reactive`` column). Zero-quantity steps are left out.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from tdcoord.der.errors import DerError
from tdcoord.grid.model import GridModel
from tdcoord.market.offers import OfferBook
from tdcoord.types import IntArray

Level = Literal["node", "feeder", "interface"]

CURVE_COLUMNS = (
    "interval",
    "direction",
    "reactive",
    "rank",
    "offer_row",
    "offer_id",
    "price_eur_per_mwh",
    "quantity_mw",
    "cumulative_mw",
)
_KEYS: dict[str, tuple[str, ...]] = {
    "node": ("feeder", "node"),
    "feeder": ("feeder",),
    "interface": ("transmission_bus",),
}


def interface_of_feeders(grid: GridModel) -> tuple[IntArray, IntArray]:
    """Per feeder index: the row in ``grid.interfaces`` and the transmission bus row (−1 when
    the feeder has no interface)."""
    itf = grid.interfaces
    by_id = {str(f): k for k, f in enumerate(itf.feeder.tolist())}
    rows = np.asarray([by_id.get(f.id, -1) for f in grid.feeders], dtype=np.int64)
    bus = np.full(rows.size, -1, dtype=np.int64)
    has = rows >= 0
    if has.any():
        if grid.transmission is None:
            raise DerError(
                "interfaces without a transmission grid", where="grid", fix="attach the feeders"
            )
        bus[has] = grid.transmission.bus_rows(itf.transmission_bus[rows[has]])
    return rows, bus


def merit_order_curves(
    book: OfferBook, level: Level = "node", grid: GridModel | None = None
) -> pd.DataFrame:
    """Aggregated merit-order curves (long format: one row per step and interval).

    Columns: the level's keys (see module doc) then :data:`CURVE_COLUMNS`; sorted by keys,
    interval, direction (−1 first), reactive, price, offer row. ``rank`` counts from 0 within
    a curve; ``cumulative_mw`` is the running sum of ``quantity_mw``.
    """
    if level not in _KEYS:
        raise DerError(
            f"unknown aggregation level {level!r}",
            where="merit_order_curves",
            fix="use 'node', 'feeder' or 'interface'",
        )
    keys: list[IntArray]
    rows = np.arange(book.n_offers)
    if level == "node":
        keys = [book.feeder, book.node]  # rows = all
    else:
        rows = rows[book.feeder >= 0]
        if level == "feeder":
            keys = [book.feeder[rows]]
        else:
            if grid is None:
                raise DerError(
                    "interface curves need the grid",
                    where="merit_order_curves",
                    fix="pass grid=GridModel",
                )
            if book.n_offers and int(book.feeder.max(initial=-1)) >= len(grid.feeders):
                raise DerError(
                    "an offer refers to a feeder the grid does not have",
                    where="merit_order_curves",
                    fix="use the grid the offers were built on",
                )
            itf_row, itf_bus = interface_of_feeders(grid)
            f = book.feeder[rows]
            rows = rows[itf_row[f] >= 0]
            f = book.feeder[rows]
            keys = [itf_bus[f]]
    q = book.quantity_mw[rows]
    r_idx, t_idx = np.nonzero(q > 0)
    offer_row = rows[r_idx]
    key_cols = [k[r_idx] for k in keys]
    direction = book.direction[offer_row]
    reactive = book.reactive[offer_row]
    price = book.price_eur_per_mwh[offer_row, t_idx]
    qty = book.quantity_mw[offer_row, t_idx]
    order = np.lexsort((offer_row, price, reactive, direction, t_idx, *reversed(key_cols)))
    group_cols = [*(k[order] for k in key_cols), t_idx[order], direction[order], reactive[order]]
    m = order.size
    new = np.ones(m, dtype=bool)
    if m:
        new[1:] = np.any([g[1:] != g[:-1] for g in group_cols], axis=0)
    start = np.maximum.accumulate(np.where(new, np.arange(m), 0))
    cum = np.cumsum(qty[order])
    before = np.where(start > 0, cum[np.maximum(start - 1, 0)], 0.0)
    data: dict[str, object] = {
        name: col[order] for name, col in zip(_KEYS[level], key_cols, strict=True)
    }
    data.update(
        {
            "interval": t_idx[order],
            "direction": direction[order],
            "reactive": reactive[order],
            "rank": np.arange(m) - start,
            "offer_row": offer_row[order],
            "offer_id": np.asarray(book.offer_id, dtype=object)[offer_row[order]]
            if m
            else np.zeros(0, dtype=object),
            "price_eur_per_mwh": price[order],
            "quantity_mw": qty[order],
            "cumulative_mw": cum - before,
        }
    )
    return pd.DataFrame(data, columns=[*_KEYS[level], *CURVE_COLUMNS])


def curve_totals(curves: pd.DataFrame, level: Level = "node") -> pd.DataFrame:
    """Total offered quantity per curve (the last ``cumulative_mw`` of each curve)."""
    keys = [*_KEYS[level], "interval", "direction", "reactive"]
    return curves.groupby(keys, sort=True)["cumulative_mw"].last().reset_index()
