"""Locational settlement: distribution flexibility paid the DLMP of its node, or the load-zone
price where the preset's price basis says so (ERCOT: DERs below 10 MW).

Seed 000 §1.4: under hierarchical LMP → DLMP pricing a DER connected to the distribution grid
is settled at the DLMP of its node. Seed 000 §1.3: in ERCOT, DERs below 10 MW at distribution
voltage are load-offsetting resources paid the **load-zone** price, not the nodal one
(:meth:`tdcoord.market.rules.Preset.der_price_basis`). Per activation row i with direction
:math:`d_i` (+1 up: more injection, −1 down)

.. math::

    p_i = \\operatorname{clip}\\big(d_i \\cdot \\begin{cases} z_i & \\text{load-zone basis}\\\\
          \\mathrm{DLMP}_i & \\text{else} \\end{cases},\\ \\text{floor},\\ \\text{cap}\\big)

in the ask convention of :mod:`tdcoord.settlement.settle`: an up activation sells energy at
the node and receives the price; a down activation buys it back (a negative ask: the seller
pays when the price is positive). ``z`` is the load-zone price of the row's stage and interval
(the demand-weighted mean of the nodal prices of the zone, as ERCOT's load-zone settlement point
price). Rows without a locational price (NaN: transmission rows under ``pricing: dlmp``) keep the
price of their preset rule.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from tdcoord.settlement.errors import SettlementError
from tdcoord.types import FloatArray

#: The price basis that settles at the load-zone price instead of the node's.
LOAD_ZONE = "load_zone"


def locational_prices(
    direction: npt.ArrayLike,
    nodal_eur_per_mwh: npt.ArrayLike,
    zone_eur_per_mwh: npt.ArrayLike,
    load_zone: npt.ArrayLike,
    rule_eur_per_mwh: npt.ArrayLike,
    *,
    price_floor: float | None = None,
    price_cap: float | None = None,
) -> FloatArray:
    """Seller price per activation row (module docstring); every argument one value per row.

    ``nodal_eur_per_mwh`` NaN marks a row without a locational price (it keeps
    ``rule_eur_per_mwh``, already clipped by its rule); ``load_zone`` True where the price basis
    is the load zone (``zone_eur_per_mwh`` must then be finite)."""
    d = np.asarray(direction, dtype=np.float64)
    nodal = np.asarray(nodal_eur_per_mwh, dtype=np.float64)
    zone = np.asarray(zone_eur_per_mwh, dtype=np.float64)
    lz = np.asarray(load_zone, dtype=bool)
    rule = np.asarray(rule_eur_per_mwh, dtype=np.float64)
    n = d.shape[0]
    if any(a.shape != (n,) for a in (nodal, zone, lz, rule)):
        raise SettlementError(
            "locational prices need one value per activation row in every argument",
            where="locational_prices",
            fix="pass arrays of the activations' length",
        )
    located = np.isfinite(nodal)
    if (located & lz & ~np.isfinite(zone)).any():
        i = int(np.flatnonzero(located & lz & ~np.isfinite(zone))[0])
        raise SettlementError(
            "a load-zone priced row has no load-zone price",
            where=f"activation row {i}",
            fix="give the zone's price for the row's stage and interval",
        )
    base = np.where(lz, zone, nodal)
    lo = -np.inf if price_floor is None else price_floor
    hi = np.inf if price_cap is None else price_cap
    priced = np.clip(d * np.where(located, base, 0.0), lo, hi)
    return np.asarray(np.where(located, priced, rule), dtype=np.float64)
