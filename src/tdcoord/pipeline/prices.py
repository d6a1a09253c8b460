"""Every price of one model's day (seed 000 §1.4 hierarchical LMP → DLMP), per stage.

For each market stage the stage's transmission LMPs and, below each T–D interface the stage's
clearings modelled, the DLMPs with the interface LMP handed down as the root price
(:func:`tdcoord.coordination.price_table.stage_prices`); a stage without a transmission price
hands down the day-ahead energy market's LMP. The day-ahead energy market's own LMPs come first
as stage ``energy_market`` (energy, congestion, total).

``stage``, ``node`` and ``component`` are categorical with categories fixed by the grid and the
day's stages (not by the rows), so the tables of all models of one comparison share them and
concatenate without turning into strings (``prices.csv`` has millions of rows on the default
study).
"""

from __future__ import annotations

import pandas as pd

from tdcoord.coordination.price_table import PRICE_COLUMNS, lmp_prices, node_labels, stage_prices
from tdcoord.coordination.prices import DLMP_COMPONENTS
from tdcoord.pipeline.shared import SharedDay
from tdcoord.simulation.timeline import ModelDay

#: Columns of :func:`day_prices` (``prices.csv`` adds ``model`` in front).
DAY_PRICE_COLUMNS: tuple[str, ...] = ("stage", *PRICE_COLUMNS)

#: The stage name of the day-ahead energy market's LMPs.
ENERGY_MARKET_STAGE = "energy_market"


def day_prices(shared: SharedDay, md: ModelDay) -> pd.DataFrame:
    """Rows of :data:`DAY_PRICE_COLUMNS`: the energy market's LMPs, then every stage's prices."""
    market_lmp = shared.market.lmp_eur_per_mwh
    frames = []
    if market_lmp is not None and market_lmp.size:
        frames.append(lmp_prices(md.case, market_lmp).assign(stage=ENERGY_MARKET_STAGE))
    for stage, outcome in md.stages.items():
        frames.append(stage_prices(md.case, outcome, market_lmp).assign(stage=stage))
    frames = [f for f in frames if len(f)]
    if frames:
        out = pd.concat(frames, ignore_index=True)[list(DAY_PRICE_COLUMNS)]
    else:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in DAY_PRICE_COLUMNS})
    categories = {
        "stage": [ENERGY_MARKET_STAGE, *md.stages],
        "node": node_labels(md.case),
        "component": list(DLMP_COMPONENTS),
    }
    for col, cats in categories.items():
        out[col] = pd.Categorical(out[col], categories=cats)
    return out
