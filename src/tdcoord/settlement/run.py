"""Settle one run's activations from meter data: :func:`settle` on a :class:`SettlementInputs`
(the parameter object), or :func:`settle_run` with the same fields as keywords.

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

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from tdcoord.market.rules import Preset, load_preset
from tdcoord.settlement._common import as_grid, check_activations, check_dt, der_index
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
from tdcoord.types import FloatArray

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


@dataclass(frozen=True, kw_only=True)
class SettlementInputs:
    """Everything one settlement needs (U DERs in ``der_ids`` order, T intervals of ``dt_h`` h).

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

    activations: pd.DataFrame
    metered_mw: npt.ArrayLike
    baseline_name: str
    preset: Preset | str | Path
    der_ids: Sequence[str]
    dt_h: float
    history_mw: npt.ArrayLike | None = None
    history_eligible: npt.ArrayLike | None = None
    schedule_mw: npt.ArrayLike | None = None
    before_mw: npt.ArrayLike | None = None
    baseline_params: Mapping[str, Any] | None = None
    meter_convention: MeterConvention = "injection"
    capacity_up_mw: npt.ArrayLike | None = None
    capacity_down_mw: npt.ArrayLike | None = None
    priority: str | Sequence[str] = "dso_first"
    pricing: Mapping[str, str] | None = None
    penalty: PenaltyRule | None = None
    imbalance_price_eur_per_mwh: npt.ArrayLike | None = None
    imbalance_counterparty: str = "tso"
    position_mw: npt.ArrayLike | None = None
    availability: pd.DataFrame | None = None
    der_aggregator: Mapping[str, str] | None = None
    aggregator_fee_share: float = 0.0


OPTION_NAMES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(SettlementInputs))[6:]
"""The optional keywords of :func:`settle_run` (fields of :class:`SettlementInputs`)."""


def settle_run(
    activations: pd.DataFrame,
    metered_mw: npt.ArrayLike,
    baseline_name: str,
    preset: Preset | str | Path,
    *,
    der_ids: Sequence[str],
    dt_h: float,
    **options: Any,
) -> Settlement:
    """Settle a run: :func:`settle` with the fields of :class:`SettlementInputs` as arguments
    (``options``: its optional fields, by name)."""
    unknown = sorted(set(options) - set(OPTION_NAMES))
    if unknown:
        raise SettlementError(
            f"unknown settlement option(s) {unknown}",
            where="settle_run",
            fix=f"use the fields of SettlementInputs: {', '.join(OPTION_NAMES)}",
        )
    return settle(
        SettlementInputs(
            activations=activations,
            metered_mw=metered_mw,
            baseline_name=baseline_name,
            preset=preset,
            der_ids=der_ids,
            dt_h=dt_h,
            **options,
        )
    )


@dataclass(frozen=True)
class _Meters:
    """Meter data in injection convention (U × T; history D × U × T; before U)."""

    metered: FloatArray
    schedule: FloatArray | None
    history: FloatArray | None
    before: FloatArray | None
    position: FloatArray | None


def _meters(inp: SettlementInputs) -> _Meters:
    conv = inp.meter_convention
    m = _to_injection(inp.metered_mw, "metered_mw", conv)
    assert m is not None
    m = as_grid(m, "metered_mw", (len(inp.der_ids), m.shape[1]))
    schedule = _to_injection(inp.schedule_mw, "schedule_mw", conv)
    history = _to_injection(inp.history_mw, "history_mw", conv, ndim=3)
    before = _to_injection(inp.before_mw, "before_mw", conv, ndim=1)
    position = _to_injection(inp.position_mw, "position_mw", conv)
    if position is not None:
        position = as_grid(position, "position_mw", m.shape)
    return _Meters(m, schedule, history, before, position)


def _priced(book: pd.DataFrame, inp: SettlementInputs, preset: Preset) -> pd.DataFrame:
    """Step 1: seller and buyer prices on the activations as cleared."""
    rules = pricing_by_row(book, preset, inp.pricing)
    cap = preset.energy.price_cap_per_mwh
    floor = preset.energy.price_floor_per_mwh
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
    return book


def _stacked(book: pd.DataFrame, inp: SettlementInputs, preset: Preset) -> StackingResult | None:
    """Step 2: value stacking (when both capacities are given)."""
    if (inp.capacity_up_mw is None) != (inp.capacity_down_mw is None):
        raise SettlementError(
            "value stacking needs both capacity_up_mw and capacity_down_mw",
            where="settle_run",
            fix="pass both (U × T headroom per direction) or neither",
        )
    if inp.capacity_up_mw is None or inp.capacity_down_mw is None:
        return None
    return stack_activations(
        book,
        inp.der_ids,
        inp.capacity_up_mw,
        inp.capacity_down_mw,
        priority=inp.priority,
        gate_closure_lead_min=_gate_closure_leads(preset, sorted(book["product_id"].unique())),
    )


def _baseline(book: pd.DataFrame, inp: SettlementInputs, meters: _Meters, dt: float) -> FloatArray:
    """Step 3: the named baseline, with the honoured activations as the event mask."""
    m = meters.metered
    n_u, t_n = m.shape
    u_idx = der_index(inp.der_ids, book["der_id"], "activations.der_id")
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
    he = inp.history_eligible
    inputs = BaselineInputs(
        metered_mw=m,
        event_mask=events,
        schedule_mw=meters.schedule,
        history_mw=meters.history,
        history_eligible=None if he is None else np.asarray(he),
        before_mw=meters.before,
        dt_h=dt,
    )
    return compute_baseline(inp.baseline_name, inputs, **dict(inp.baseline_params or {}))


def _imbalance(
    book: pd.DataFrame, inp: SettlementInputs, meters: _Meters, delivery: Delivery, dt: float
) -> tuple[FloatArray, pd.DataFrame]:
    """Imbalance per DER (U × T, + = long) and its transactions with the BRPs."""
    assert inp.imbalance_price_eur_per_mwh is not None
    availability = inp.availability
    brp = dict(zip(book["der_id"], book["aggregator_id"], strict=True))
    if availability is not None and not availability.empty:
        brp.update(
            zip(
                availability["der_id"].astype(str),
                availability["aggregator_id"].astype(str),
                strict=True,
            )
        )
    brp.update(inp.der_aggregator or {})
    party = [aggregator_party(brp[d]) if d in brp else der_party(d) for d in inp.der_ids]
    imbalance = (
        delivery.imbalance_mw
        if meters.position is None
        else meters.metered - (meters.position + delivery.requested_mw)
    )
    items = imbalance_items(
        imbalance, party, inp.imbalance_price_eur_per_mwh, dt, inp.imbalance_counterparty
    )
    return imbalance, items


def settle(inp: SettlementInputs) -> Settlement:
    """Settle a run (order of work: module docstring; inputs: :class:`SettlementInputs`)."""
    dt = check_dt(inp.dt_h)
    get_baseline(inp.baseline_name)  # unknown names fail before any work
    book = check_activations(inp.activations)
    preset = inp.preset if isinstance(inp.preset, Preset) else load_preset(inp.preset)
    meters = _meters(inp)
    book = _priced(book, inp, preset)  # 1. prices on the activations as cleared
    stacking = _stacked(book, inp, preset)  # 2. value stacking
    if stacking is not None:
        book = stacking.honoured
    baseline = _baseline(book, inp, meters, dt)  # 3. baseline
    delivery = measure_delivery(book, inp.der_ids, meters.metered, baseline, dt, meters.schedule)
    # 5. money
    imbalance: FloatArray | None = None
    parts = [
        activation_items(delivery.per_activation, inp.penalty or PenaltyRule()),
        availability_items(inp.availability, dt),
    ]
    if inp.imbalance_price_eur_per_mwh is not None:
        imbalance, items = _imbalance(book, inp, meters, delivery, dt)
        parts.append(items)
    nonempty = [p for p in parts if not p.empty]
    items = pd.concat(nonempty, ignore_index=True) if nonempty else empty_transactions()
    passed = pass_through_items(items, inp.aggregator_fee_share)
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
