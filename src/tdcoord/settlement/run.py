"""``settle_run``: settle one run's activations from meter data, the one call the simulation makes.

Order of work (each step in its own module):

1. seller price per activation row under the preset's pricing rule per product
   (:mod:`~tdcoord.settlement.settle`), computed on the activations as cleared;
2. value stacking (:mod:`~tdcoord.settlement.value_stacking`) when DER capacities are given:
   requests beyond a DER's remaining capacity are cut and reported as conflicts;
3. baseline by name (:mod:`~tdcoord.settlement.baselines`) with the honoured activations as the
   event mask;
4. delivery and imbalance (:mod:`~tdcoord.settlement.delivery`);
5. transactions → statements per party → balance check (:mod:`~tdcoord.settlement.statements`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from tdcoord.market.rules import Preset, load_preset
from tdcoord.settlement._common import FloatArray, as_grid, check_activations, check_dt, der_index
from tdcoord.settlement.baselines import BaselineInputs, compute_baseline, get_baseline
from tdcoord.settlement.delivery import Delivery, measure_delivery
from tdcoord.settlement.errors import SettlementError
from tdcoord.settlement.settle import (
    PenaltyRule,
    activation_items,
    aggregator_party,
    availability_items,
    der_party,
    empty_transactions,
    imbalance_items,
    pass_through_items,
    pricing_by_row,
    seller_prices,
)
from tdcoord.settlement.statements import BalanceCheck, balance_check, party_totals, statements
from tdcoord.settlement.value_stacking import StackingResult, stack_activations

MeterConvention = Literal["injection", "consumption"]


@dataclass(frozen=True)
class Settlement:
    """Result of :func:`settle_run`.

    ``statements`` (party, counterparty, item, interval, mwh, amount_eur; + = receives),
    ``totals`` net per party, ``residual_eur`` the balance residual (0 up to rounding),
    ``imbalance_mw`` (U × T; + = long) when imbalance was settled, else None,
    ``transactions`` (payer → payee), ``baseline_mw`` (U × T), ``delivery``, ``stacking``
    (None without capacities), ``balance`` (per item and per role).
    """

    statements: pd.DataFrame
    totals: dict[str, float]
    residual_eur: float
    transactions: pd.DataFrame
    baseline_mw: FloatArray
    delivery: Delivery
    stacking: StackingResult | None
    balance: BalanceCheck
    imbalance_mw: FloatArray | None = None


def _to_injection(
    values: npt.ArrayLike | None, name: str, convention: MeterConvention, ndim: int = 2
) -> FloatArray | None:
    if values is None:
        return None
    arr = as_grid(values, name, ndim=ndim)
    if convention == "injection":
        return arr
    if (arr < 0).any():
        idx = tuple(int(i) for i in np.argwhere(arr < 0)[0])
        raise SettlementError(
            f"negative metered consumption {arr[idx]:g} MW at index {idx}",
            where=name,
            fix="consumption registers are >= 0; for net meter data (export negative) use "
            "meter_convention='injection' with injection positive",
        )
    return -arr


def _gate_closure_leads(preset: Preset, products: Sequence[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    default = preset.energy.gate_closure_before_delivery
    for p in products:
        rule = preset.products.get(p)
        if rule is not None and rule.gate_closure_before_delivery is not None:
            out[p] = float(rule.gate_closure_before_delivery.value)
        elif default is not None:
            out[p] = float(default.value)
    return out


def settle_run(
    activations: pd.DataFrame,
    metered_mw: npt.ArrayLike,
    baseline_name: str,
    preset: Preset | str | Path,
    *,
    der_ids: Sequence[str],
    dt_h: float,
    history_mw: npt.ArrayLike | None = None,
    history_eligible: npt.ArrayLike | None = None,
    schedule_mw: npt.ArrayLike | None = None,
    before_mw: npt.ArrayLike | None = None,
    baseline_params: Mapping[str, Any] | None = None,
    meter_convention: MeterConvention = "injection",
    capacity_up_mw: npt.ArrayLike | None = None,
    capacity_down_mw: npt.ArrayLike | None = None,
    priority: str = "dso_first",
    pricing: Mapping[str, str] | None = None,
    penalty: PenaltyRule | None = None,
    imbalance_price_eur_per_mwh: npt.ArrayLike | None = None,
    imbalance_counterparty: str = "tso",
    position_mw: npt.ArrayLike | None = None,
    availability: pd.DataFrame | None = None,
    der_aggregator: Mapping[str, str] | None = None,
    aggregator_fee_share: float = 0.0,
) -> Settlement:
    """Settle a run.

    Inputs (U DERs in ``der_ids`` order, T intervals of ``dt_h`` hours):

    * ``activations`` — ``Outcome.activations`` (contract columns); optional columns
      ``seller_price_eur_per_mwh`` (overrides the pricing rule, e.g. the DER's DLMP) and
      ``buyer_price_eur_per_mwh`` (the buyer's nodal price; the difference is congestion rent).
    * ``metered_mw`` (U, T) — metered power; ``meter_convention="injection"`` (default: net
      injection, + = export, the platform convention) or ``"consumption"`` (consumption registers,
      must be >= 0; converted with a minus sign — ``history_mw``, ``schedule_mw`` and
      ``before_mw`` are read in the same convention).
    * ``baseline_name`` — a registered baseline (``available_baselines()``), with its inputs
      ``history_mw`` (D, U, T, oldest day first), ``history_eligible`` (D, U), ``schedule_mw``
      (U, T), ``before_mw`` (U,) and ``baseline_params`` overriding its bound parameters.
    * ``preset`` — a :class:`Preset` or a bundled name/path: pricing per product, price cap and
      floor, gate closures (for ``priority="gate_closure"``).
    * ``capacity_up_mw`` / ``capacity_down_mw`` (U, T) — headroom per direction; given together
      they switch on value stacking with the named ``priority`` rule.
    * ``pricing`` — per-product override of the preset rule (``"pay_as_clear"`` / ``"pay_as_bid"``).
    * ``penalty`` — :class:`PenaltyRule` (default factor 1.5, no floor).
    * ``imbalance_price_eur_per_mwh`` — scalar or (T,); None = no imbalance settlement. Deviations
      are measured against the BRP's final position ``position_mw`` (U, T) if given, else
      ``schedule_mw``, else the baseline, corrected by the requested activations (imbalance
      adjustment, EB GL Art. 49): ``I = metered − (position + requested)``.
    * ``availability`` — reserved capacity rows (``settle.AVAILABILITY_COLUMNS``).
    * ``der_aggregator`` — BRP/aggregator per DER for imbalance (default: from the activations
      and availability rows; DERs without one are their own BRP ``der:<id>``).
    * ``aggregator_fee_share`` — share of DER income the aggregator keeps (0 = full pass-through).
    """
    dt = check_dt(dt_h)
    get_baseline(baseline_name)  # unknown names fail before any work
    book = check_activations(activations)
    the_preset = preset if isinstance(preset, Preset) else load_preset(preset)
    m = _to_injection(metered_mw, "metered_mw", meter_convention)
    assert m is not None
    m = as_grid(m, "metered_mw", (len(der_ids), m.shape[1]))
    n_u, t_n = m.shape
    sched = _to_injection(schedule_mw, "schedule_mw", meter_convention)
    hist = _to_injection(history_mw, "history_mw", meter_convention, ndim=3)
    before = _to_injection(before_mw, "before_mw", meter_convention, ndim=1)
    position = _to_injection(position_mw, "position_mw", meter_convention)
    if position is not None:
        position = as_grid(position, "position_mw", m.shape)

    # 1. prices on the activations as cleared
    rules = pricing_by_row(book, the_preset, pricing)
    cap = the_preset.energy.price_cap_per_mwh
    floor = the_preset.energy.price_floor_per_mwh
    if "seller_price_eur_per_mwh" not in book.columns:
        book["seller_price_eur_per_mwh"] = seller_prices(
            book,
            rules,
            None if cap is None else float(cap.value),
            None if floor is None else float(floor.value),
        )
    if "buyer_price_eur_per_mwh" not in book.columns:
        book["buyer_price_eur_per_mwh"] = book["seller_price_eur_per_mwh"]
    for col in ("seller_price_eur_per_mwh", "buyer_price_eur_per_mwh"):
        book[col] = book[col].astype(np.float64)
        if not np.isfinite(book[col].to_numpy()).all():
            raise SettlementError(
                f"{col} is not finite", where=f"activations.{col}", fix="give finite prices"
            )

    # 2. value stacking
    stacking: StackingResult | None = None
    if (capacity_up_mw is None) != (capacity_down_mw is None):
        raise SettlementError(
            "value stacking needs both capacity_up_mw and capacity_down_mw",
            where="settle_run",
            fix="pass both (U × T headroom per direction) or neither",
        )
    if capacity_up_mw is not None and capacity_down_mw is not None:
        stacking = stack_activations(
            book,
            der_ids,
            capacity_up_mw,
            capacity_down_mw,
            priority=priority,
            gate_closure_lead_min=_gate_closure_leads(
                the_preset, sorted(book["product_id"].unique())
            ),
        )
        book = stacking.honoured

    # 3. baseline, event mask = honoured activations
    u_idx = der_index(der_ids, book["der_id"], "activations.der_id")
    live = book["mw"].to_numpy(dtype=np.float64) > 0
    events = np.zeros((n_u, t_n), dtype=bool)
    t_idx = book["interval"].to_numpy(dtype=np.int64)
    if ((t_idx < 0) | (t_idx >= t_n)).any():
        i = int(np.flatnonzero((t_idx < 0) | (t_idx >= t_n))[0])
        raise SettlementError(
            f"interval {int(t_idx[i])} outside the metered horizon 0..{t_n - 1}",
            where=f"activations row {i}",
            fix="meter data must cover every activated interval",
        )
    events[u_idx[live], t_idx[live]] = True
    inputs = BaselineInputs(
        metered_mw=m,
        event_mask=events,
        schedule_mw=sched,
        history_mw=hist,
        history_eligible=None if history_eligible is None else np.asarray(history_eligible),
        before_mw=before,
        dt_h=dt,
    )
    baseline = compute_baseline(baseline_name, inputs, **dict(baseline_params or {}))

    # 4. delivery
    delivery = measure_delivery(book, der_ids, m, baseline, dt, sched)

    # 5. money
    imbalance: FloatArray | None = None
    parts = [
        activation_items(delivery.per_activation, penalty or PenaltyRule()),
        availability_items(availability, dt),
    ]
    if imbalance_price_eur_per_mwh is not None:
        brp = dict(zip(book["der_id"], book["aggregator_id"], strict=True))
        if availability is not None and not availability.empty:
            brp.update(
                zip(
                    availability["der_id"].astype(str),
                    availability["aggregator_id"].astype(str),
                    strict=True,
                )
            )
        brp.update(der_aggregator or {})
        party = [aggregator_party(brp[d]) if d in brp else der_party(d) for d in der_ids]
        imbalance = (
            delivery.imbalance_mw
            if position is None
            else m - (position + delivery.requested_mw)
        )
        parts.append(
            imbalance_items(
                imbalance,
                party,
                imbalance_price_eur_per_mwh,
                dt,
                imbalance_counterparty,
            )
        )
    nonempty = [p for p in parts if not p.empty]
    items = pd.concat(nonempty, ignore_index=True) if nonempty else empty_transactions()
    passed = pass_through_items(items, aggregator_fee_share)
    tx = pd.concat([items, passed], ignore_index=True) if not passed.empty else items
    rows = statements(tx)
    check = balance_check(rows)
    return Settlement(
        statements=rows,
        totals=party_totals(rows),
        residual_eur=check.residual_eur,
        transactions=tx,
        baseline_mw=baseline,
        delivery=delivery,
        stacking=stacking,
        balance=check,
        imbalance_mw=imbalance,
    )
