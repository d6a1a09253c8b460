"""Single imbalance price per interval from the reference price and the TSO's balancing actions.

Single imbalance pricing (Reg. (EU) 2017/2195 EB GL Art. 55; ACER Decision 18/2020, the
imbalance settlement harmonisation methodology, Art. 9): every BRP pays or receives one price per
imbalance settlement period, set by the balancing energy the TSO activated, so that a BRP out of
balance in the system's direction bears the marginal cost of restoring it. In tdcoord the
flexibility prices are service prices on top of the energy value (the DER's energy stays with its
BRP at the day-ahead price), so with ``λ_t`` the day-ahead reference price and the TSO's
activations at interval ``t``:

.. math::

    \\pi_t = \\begin{cases}
        \\lambda_t + \\max_{a \\in \\mathrm{up}_t} c_a & \\text{TSO net up (short)}\\\\
        \\lambda_t - \\max_{a \\in \\mathrm{down}_t} c_a & \\text{TSO net down (long)}\\\\
        \\lambda_t & \\text{no net activation ("value of avoided activation")}
    \\end{cases}

``c_a`` is the offer price of activation ``a`` (the marginal accepted balancing bid in that
direction). A short BRP pays more than the day-ahead price, a long one is paid less — the
incentive the methodology asks for — and with no balancing action the reference price applies.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from tdcoord.settlement.errors import SettlementError
from tdcoord.types import FloatArray

_TOL_MW = 1e-9


def single_imbalance_price(
    reference_eur_per_mwh: npt.ArrayLike,
    activations: pd.DataFrame,
    *,
    buyer: str = "tso",
) -> FloatArray:
    """Imbalance price per interval (module doc); ``activations`` in the ``Outcome.activations``
    layout (``buyer``, ``direction``, ``interval``, ``mw``, ``price_eur_per_mwh``)."""
    ref = np.asarray(reference_eur_per_mwh, dtype=np.float64)
    if ref.ndim != 1 or not np.isfinite(ref).all():
        raise SettlementError(
            "the reference price must be finite, one value per interval",
            where="single_imbalance_price",
            fix="pass the day-ahead price (T,)",
        )
    T = ref.size
    price = ref.copy()
    if activations.empty:
        return price
    missing = {"buyer", "direction", "interval", "mw", "price_eur_per_mwh"} - set(
        activations.columns
    )
    if missing:
        raise SettlementError(
            f"activations lack columns {sorted(missing)}",
            where="single_imbalance_price",
            fix="pass Outcome.activations",
        )
    tso = activations[activations["buyer"] == buyer]
    tso = tso[tso["mw"].to_numpy(dtype=np.float64) > _TOL_MW]
    if tso.empty:
        return price
    t = tso["interval"].to_numpy(dtype=np.int64)
    if ((t < 0) | (t >= T)).any():
        raise SettlementError(
            f"activation interval outside 0..{T - 1}",
            where="single_imbalance_price",
            fix="the reference price must cover every activated interval",
        )
    d = tso["direction"].to_numpy(dtype=np.int64)
    mw = tso["mw"].to_numpy(dtype=np.float64)
    c = tso["price_eur_per_mwh"].to_numpy(dtype=np.float64)
    net = np.bincount(t, weights=d * mw, minlength=T)
    top_up = np.full(T, -np.inf)
    top_dn = np.full(T, -np.inf)
    np.maximum.at(top_up, t[d > 0], c[d > 0])
    np.maximum.at(top_dn, t[d < 0], c[d < 0])
    short = (net > _TOL_MW) & np.isfinite(top_up)
    long = (net < -_TOL_MW) & np.isfinite(top_dn)
    price[short] += top_up[short]
    price[long] -= top_dn[long]
    return price
