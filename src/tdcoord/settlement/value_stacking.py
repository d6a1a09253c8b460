"""Value stacking: one DER sells to several buyers and products, and no MW is sold twice.

A DER may hold activations from the TSO (balancing, congestion), one or more DSOs (local
congestion) and capacity contracts in the same interval (seed 001 §IV: "value stacking
assessments of DER participating in both wholesale and distribution markets"). Requests are
honoured per (DER, interval, direction) in a named **priority order** until the DER's remaining
capacity in that direction is used up; the rest is cut and reported as a *double activation*
conflict (docs/coordination-models.md: "the later activation cannot be honoured").

Greedy fill, in priority order ``i = 1..n`` within one (DER, interval, direction) group with
capacity ``C``: ``honoured_i = clip(C − Σ_{j<i} requested_j, 0, requested_i)``, which equals
``min(requested_i, C − Σ_{j<i} honoured_j)``, so ``Σ honoured ≤ C`` always. Up and down are
separate groups (up headroom and down headroom are different MW; a DER's up and down requests
in one interval are a counter-activation, counted by the KPIs, not here).

Priority rules (:data:`PRIORITY_RULES`): ``dso_first`` (local congestion before the TSO; seed
001 §III.B local market model gives DSOs priority), ``tso_first`` (system security first),
``capacity_first`` (firm capacity/availability contracts, then DSO, then TSO), ``gate_closure``
(first come: the product whose gate closes earlier — larger lead time before delivery — first;
or a ``gate_closure`` column, smaller = earlier); or an explicit order of buyer kinds
(:func:`buyer_order_rule`, the study's ``settlement.stacking_priority``, e.g. ``[tso, dso,
platform]``). Ties keep the order of the input rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from tdcoord.market.products import get_product
from tdcoord.settlement._common import as_grid, check_activations, check_intervals, der_index
from tdcoord.settlement.errors import SettlementError
from tdcoord.types import FloatArray


def _buyer_rank(buyers: pd.Series, order: Sequence[str]) -> FloatArray:
    kind = buyers.str.split(":").str[0]
    lookup = {k: i for i, k in enumerate(order)}
    return np.asarray(
        kind.map(lookup).fillna(len(order)).to_numpy(dtype=np.float64), dtype=np.float64
    )


def _dso_first(frame: pd.DataFrame, _gc: Mapping[str, float]) -> FloatArray:
    return _buyer_rank(frame["buyer"], ("dso", "platform", "tso"))


def _tso_first(frame: pd.DataFrame, _gc: Mapping[str, float]) -> FloatArray:
    return _buyer_rank(frame["buyer"], ("tso", "platform", "dso"))


def _capacity_first(frame: pd.DataFrame, _gc: Mapping[str, float]) -> FloatArray:
    kinds = {p: get_product(p).availability for p in frame["product_id"].unique()}
    avail = frame["product_id"].map(kinds).to_numpy(dtype=bool)
    return np.where(avail, 0.0, 1.0 + _dso_first(frame, _gc))


def _gate_closure(frame: pd.DataFrame, gc: Mapping[str, float]) -> FloatArray:
    if "gate_closure" in frame.columns:
        return np.asarray(frame["gate_closure"].to_numpy(dtype=np.float64))
    leads = {p: float(gc.get(p, 0.0)) for p in frame["product_id"].unique()}
    lead = frame["product_id"].map(leads)
    return -lead.to_numpy(dtype=np.float64)


PriorityRule = Callable[[pd.DataFrame, Mapping[str, float]], FloatArray]

#: The buyer kinds (the part of ``buyer`` before ``:``) an explicit priority order may list.
BUYER_KINDS: tuple[str, ...] = ("dso", "platform", "tso")


def buyer_order_rule(order: Sequence[str]) -> PriorityRule:
    """A priority rule that ranks rows by the position of their buyer kind in ``order`` (e.g.
    ``("tso", "dso", "platform")``; kinds not listed last). Unknown kinds raise."""
    bad = [k for k in order if k not in BUYER_KINDS]
    if bad or len(set(order)) != len(order) or not order:
        raise SettlementError(
            f"bad stacking priority {list(order)!r}",
            where="stacking priority",
            fix=f"list buyer kinds from {', '.join(BUYER_KINDS)}, each once",
        )
    kinds = tuple(order)

    def rule(frame: pd.DataFrame, _gc: Mapping[str, float]) -> FloatArray:
        return _buyer_rank(frame["buyer"], kinds)

    return rule

#: Named priority rules: rule(frame, gate_closure_lead_min by product) → rank (lower first).
PRIORITY_RULES: dict[str, PriorityRule] = {
    "dso_first": _dso_first,
    "tso_first": _tso_first,
    "capacity_first": _capacity_first,
    "gate_closure": _gate_closure,
}


@dataclass(frozen=True)
class StackingResult:
    """What is honoured.

    ``honoured``: the input rows with ``requested_mw``, ``mw`` (= honoured), ``cut_mw``;
    ``conflicts``: rows with ``cut_mw > 0`` plus ``held_by`` (buyers honoured in that DER,
    interval and direction); ``by_buyer``: requested / honoured / cut MW per buyer.
    """

    honoured: pd.DataFrame
    conflicts: pd.DataFrame
    by_buyer: pd.DataFrame


def priority_rule(priority: str | Sequence[str]) -> PriorityRule:
    """The ranking function of a named ``priority`` rule (:data:`PRIORITY_RULES`) or of an
    explicit order of buyer kinds (:func:`buyer_order_rule`); an unknown name is refused."""
    if not isinstance(priority, str):
        return buyer_order_rule(priority)
    if priority not in PRIORITY_RULES:
        raise SettlementError(
            f"unknown priority rule {priority!r}",
            where="stack_activations(priority=...)",
            fix=f"use one of {', '.join(sorted(PRIORITY_RULES))} or a list of buyer kinds",
        )
    return PRIORITY_RULES[priority]


def checked_capacities(
    der_ids: Sequence[str], capacity_up_mw: npt.ArrayLike, capacity_down_mw: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Both headroom grids as U × T arrays (``der_ids`` order), refused if negative."""
    n_u = len(der_ids)
    cap_up = as_grid(capacity_up_mw, "capacity_up_mw")
    t_n = cap_up.shape[1] if cap_up.ndim == 2 else 0
    cap_up = as_grid(cap_up, "capacity_up_mw", (n_u, t_n))
    cap_dn = as_grid(capacity_down_mw, "capacity_down_mw", (n_u, t_n))
    for name, cap in (("capacity_up_mw", cap_up), ("capacity_down_mw", cap_dn)):
        if (cap < 0).any():
            u, t = (int(i) for i in np.argwhere(cap < 0)[0])
            raise SettlementError(
                f"negative capacity {cap[u, t]:g} MW",
                where=f"{name}[DER {der_ids[u]!r}, interval {t}]",
                fix="capacities are headroom magnitudes (>= 0) per direction",
            )
    return cap_up, cap_dn


def stack_activations(
    requests: pd.DataFrame,
    der_ids: Sequence[str],
    capacity_up_mw: npt.ArrayLike,
    capacity_down_mw: npt.ArrayLike,
    *,
    priority: str | Sequence[str] = "dso_first",
    gate_closure_lead_min: Mapping[str, float] | None = None,
) -> StackingResult:
    """Cut requests beyond each DER's remaining capacity (U × T arrays, MW ≥ 0, in ``der_ids``
    order) following the named ``priority`` rule, or an explicit order of buyer kinds
    (:func:`buyer_order_rule`); see the module docstring."""
    rank_rule = priority_rule(priority)
    frame = check_activations(requests, "requests")
    cap_up, cap_dn = checked_capacities(der_ids, capacity_up_mw, capacity_down_mw)
    t_n = cap_up.shape[1]
    u_idx = der_index(der_ids, frame["der_id"], "requests.der_id")
    check_intervals(frame, t_n, "requests")
    t_idx = frame["interval"].to_numpy(dtype=np.int64)
    d = frame["direction"].to_numpy(dtype=np.int64)
    rank = rank_rule(frame, gate_closure_lead_min or {})
    row = np.arange(len(frame))
    order = np.lexsort((row, rank, d, t_idx, u_idx))
    mw = frame["mw"].to_numpy(dtype=np.float64)[order]
    key = (u_idx * max(t_n, 1) + t_idx) * 2 + (d > 0)
    key_s = key[order]
    cs = np.cumsum(mw)
    new_group = np.ones(len(order), dtype=bool)
    new_group[1:] = key_s[1:] != key_s[:-1]
    group_start = np.maximum.accumulate(np.where(new_group, np.arange(len(order)), 0))
    before_group = np.where(group_start > 0, cs[np.maximum(group_start - 1, 0)], 0.0)
    prior = cs - mw - before_group
    cap = np.where(d > 0, cap_up[u_idx, t_idx], cap_dn[u_idx, t_idx])[order]
    honoured_s = np.clip(cap - prior, 0.0, mw)
    honoured = np.empty_like(honoured_s)
    honoured[order] = honoured_s
    out = frame.copy()
    out["requested_mw"] = frame["mw"].to_numpy(dtype=np.float64)
    out["mw"] = honoured
    out["cut_mw"] = out["requested_mw"] - honoured
    ratio = np.divide(
        honoured,
        out["requested_mw"].to_numpy(),
        out=np.ones_like(honoured),
        where=out["requested_mw"].to_numpy() > 0,
    )
    out["cost_eur"] = frame["cost_eur"].to_numpy(dtype=np.float64) * ratio
    out["_group"] = key
    cut = out["cut_mw"].to_numpy() > 1e-12
    conflict_groups = np.unique(key[cut])
    hold = out.loc[(out["mw"].to_numpy() > 0) & np.isin(key, conflict_groups), ["_group", "buyer"]]
    hold = hold.drop_duplicates().sort_values(["_group", "buyer"], kind="stable")
    holders = hold.groupby("_group")["buyer"].agg(",".join)
    conflicts = out.loc[cut].copy()
    conflicts["held_by"] = conflicts["_group"].map(holders).fillna("")
    out = out.drop(columns="_group")
    conflicts = conflicts.drop(columns="_group").reset_index(drop=True)
    by_buyer = (
        out.groupby("buyer", sort=True)[["requested_mw", "mw", "cut_mw"]]
        .sum()
        .rename(columns={"mw": "honoured_mw"})
        .reset_index()
    )
    return StackingResult(out, conflicts, by_buyer)
