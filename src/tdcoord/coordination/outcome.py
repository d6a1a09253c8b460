"""The outcome of a scheme (shared contract): activations, dispatch, prices, interface flows,
slacks, costs per buyer, message log, status.

``activation_mw (n_offers, T)`` is the *delivered* magnitude per offer step: the sum over
buyers, capped at the offered quantity (a double activation — two buyers for more than the
step can deliver — shows in ``activations``, where the rows of one step and interval sum above
its quantity). ``activations`` is long format, one row per (step, interval, buyer) with a > 0,
cost = price × mw × dt_h (pay-as-bid). ``interface_mw`` is the import of each feeder after
clearing (lossless: baseline import − Σ activated active-power injection below the interface).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.clearing import SLACK_COLUMNS
from tdcoord.coordination.messages import MessageLog
from tdcoord.coordination.prices import DlmpParts
from tdcoord.types import FloatArray, IntArray

STATUSES = ("optimal", "optimal_with_slacks", "infeasible", "not_converged")
ACTIVATION_COLUMNS = (
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
)


@dataclasses.dataclass(frozen=True, eq=False)
class Outcome:
    """Result of one scheme on one case (see module docstring and ``docs/coordination.md``)."""

    scheme: str
    params: dict[str, Any]
    status: str
    activation_mw: FloatArray
    activations: pd.DataFrame
    gen_redispatch_mw: FloatArray
    interface_mw: FloatArray
    interface_schedule_mw: FloatArray
    lmp_eur_per_mwh: FloatArray | None
    dlmp_eur_per_mwh: tuple[FloatArray | None, ...]
    slacks: pd.DataFrame
    cost_by_buyer_eur: dict[str, float]
    messages: MessageLog
    compute_s: float
    iterations: int
    #: What the TSO pays transmission generators for redispatch (up at marginal cost + markup,
    #: down at markup − marginal cost; :func:`redispatch_cost_eur`), €; part of
    #: ``cost_by_buyer_eur["tso"]``.
    transmission_redispatch_eur: float = 0.0
    #: Per feeder: the DLMP's network components and loss factors of the clearing that priced
    #: it (None where no clearing modelled the feeder); the root price is handed down by
    #: :func:`tdcoord.coordination.price_table.stage_prices` (seed 000 §1.4).
    dlmp_parts: tuple[DlmpParts | None, ...] = ()

    @property
    def procurement_cost_eur(self) -> float:
        """What all buyers pay (pay-as-bid), €."""
        return float(sum(self.cost_by_buyer_eur.values()))


#: One buyer's activations ``(n_offers, T)``: dense, or sparse where a buyer (one of a thousand
#: DSOs) holds a few steps only.
Part = FloatArray | sp.csr_matrix


def _positive_entries(act: Part) -> tuple[IntArray, IntArray, FloatArray]:
    """Rows, intervals and MW of the entries above 1e-9 MW of a part."""
    if isinstance(act, np.ndarray):
        k, t = np.nonzero(act > 1e-9)
        return k, t, act[k, t]
    coo = act.tocoo()
    keep = coo.data > 1e-9
    return (
        coo.row[keep].astype(np.int64), coo.col[keep].astype(np.int64),
        np.asarray(coo.data[keep], dtype=np.float64),
    )


def _frame(case: ClearingCase, parts: Sequence[tuple[str, Part]]) -> pd.DataFrame:
    o = case.offers
    frames = []
    id_arrays: dict[str, np.ndarray[Any, Any]] = {}
    for buyer, act in parts:
        k, t, mw = _positive_entries(act)
        if not k.size:
            continue
        price = o.price_eur_per_mwh[k, t]
        if not id_arrays:  # once, not per buyer (a thousand DSOs)
            id_arrays = {
                name: np.asarray(getattr(o, name), dtype=object)
                for name in ("offer_id", "der_id", "aggregator_id", "der_type", "product_id")
            }
        ids = {name: arr[k] for name, arr in id_arrays.items()}
        frames.append(
            pd.DataFrame(
                {
                    "offer_row": k.astype(np.int64),
                    **ids,
                    "interval": t.astype(np.int64),
                    "buyer": buyer,
                    "direction": o.direction[k],
                    "mw": mw,
                    "price_eur_per_mwh": price,
                    "cost_eur": price * mw * case.dt_h,
                }
            )
        )
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ACTIVATION_COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["interval", "offer_row", "buyer"], kind="stable").reset_index(
        drop=True
    )[list(ACTIVATION_COLUMNS)]


def interface_after(case: ClearingCase, activation_mw: FloatArray) -> FloatArray:
    """Feeder imports after activations (lossless), (n_feeder, T)."""
    o = case.offers
    imp = case.baseline_import_mw.copy()
    rows = np.flatnonzero((o.feeder >= 0) & ~o.reactive)
    signed = o.direction[rows, None] * activation_mw[rows]
    np.add.at(imp, o.feeder[rows], -signed)
    return imp


@dataclasses.dataclass(frozen=True, eq=False, kw_only=True)
class Cleared:
    """What a scheme's clearing produced, before it becomes an :class:`Outcome`.

    ``parts`` are ``(buyer, activation (n_offers, T))`` pairs on the case's offers;
    ``gen_redispatch_mw`` (n_gen, T) signed; ``lmp_eur_per_mwh`` (n_bus, T);
    ``dlmp_eur_per_mwh`` per feeder index (n_node, T); ``slacks`` frames of
    :data:`SLACK_COLUMNS`; ``interface_schedule_mw`` the agreed exchange (default: the case's
    baseline import).
    """

    status: str
    parts: Sequence[tuple[str, Part]]
    messages: MessageLog
    compute_s: float
    iterations: int = 1
    gen_redispatch_mw: FloatArray | None = None
    lmp_eur_per_mwh: FloatArray | None = None
    dlmp_eur_per_mwh: dict[int, FloatArray] | None = None
    slacks: Sequence[pd.DataFrame] = ()
    interface_schedule_mw: FloatArray | None = None
    dlmp_parts: dict[int, DlmpParts] | None = None


def redispatch_cost_eur(case: ClearingCase, red: FloatArray) -> float:
    """The TSO's cost of transmission redispatch ``red`` (n_gen, T) signed MW:

    .. math:: \\Delta t \\sum_{g,t} \\big[(r^+_{gt})(c_g + m) + (r^-_{gt})(m - c_g)\\big]

    with ``c_g`` the generator's marginal cost (``cost_c1_per_mwh``) and ``m`` the case's
    ``redispatch_premium_eur_per_mwh`` (the preset's markup): an up move is paid its cost plus
    the markup, a down move pays back the fuel it saves less the markup (cost-based redispatch,
    Regulation (EU) 2019/943 Art. 13(7); seed 000 §1.4). 0 without a premium or generators."""
    gen = case.grid.transmission.generators if case.grid.transmission else None
    if not red.size or gen is None or case.redispatch_premium_eur_per_mwh is None:
        return 0.0
    prem = case.redispatch_premium_eur_per_mwh
    c1 = gen.cost_c1_per_mwh[:, None]
    rc = (np.maximum(red, 0) * (c1 + prem) + np.maximum(-red, 0) * (prem - c1)).sum()
    return float(rc * case.dt_h)


def make_outcome(
    case: ClearingCase, scheme: str, params: dict[str, Any], cleared: Cleared
) -> Outcome:
    """Assemble an :class:`Outcome` from per-buyer activations (n_offers, T) of the case."""
    c = cleared
    T = case.n_periods
    q = case.offers.quantity_mw
    total = np.zeros_like(q)
    for _, act in c.parts:
        if isinstance(act, np.ndarray):
            total = total + np.maximum(act, 0.0)
        else:
            coo = act.tocoo()
            total[coo.row, coo.col] += np.maximum(coo.data, 0.0)
    delivered = np.minimum(total, q)
    frame = _frame(case, c.parts)
    cost: dict[str, float] = {}
    if len(frame):
        for buyer, value in frame.groupby("buyer", sort=True)["cost_eur"].sum().items():
            cost[str(buyer)] = float(value)
    red = c.gen_redispatch_mw
    if red is None:
        red = np.zeros((len(case.gen_schedule_mw), T))
    rc = redispatch_cost_eur(case, red)
    if abs(rc) > 0:
        cost["tso"] = cost.get("tso", 0.0) + rc
    dl = c.dlmp_eur_per_mwh or {}
    valid = [s for s in c.slacks if len(s)]
    slack_frame = (
        pd.concat(valid, ignore_index=True) if valid else pd.DataFrame(columns=list(SLACK_COLUMNS))
    )
    return Outcome(
        scheme=scheme,
        params=dict(params),
        status=c.status,
        activation_mw=delivered,
        activations=frame,
        gen_redispatch_mw=red,
        interface_mw=interface_after(case, delivered),
        interface_schedule_mw=(
            case.baseline_import_mw if c.interface_schedule_mw is None else c.interface_schedule_mw
        ),
        lmp_eur_per_mwh=c.lmp_eur_per_mwh,
        dlmp_eur_per_mwh=tuple(dl.get(f) for f in range(case.n_feeders)),
        slacks=slack_frame,
        cost_by_buyer_eur=cost,
        messages=c.messages,
        compute_s=c.compute_s,
        iterations=c.iterations,
        transmission_redispatch_eur=rc,
        dlmp_parts=tuple((c.dlmp_parts or {}).get(f) for f in range(case.n_feeders)),
    )


def worst_status(*statuses: str) -> str:
    """The least favourable status of several stages."""
    return max(statuses, key=STATUSES.index)
