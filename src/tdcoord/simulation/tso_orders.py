"""TSO orders executed through the DSO: load shedding and requests for DSO support.

Seed 000 §3.3: "The TSO may need support from the DSO to reduce or curtail loads or generation
connected to the distribution network"; seed 000 §3.2: the TSO "should not bypass the DSOs
regarding ... activation of services in case of emergency issues". Both orders therefore go
TSO → DSO; the DSO executes them on its own network (shedding) or passes activation requests to
the aggregators / DERs of its area (support), and reports back. NC ER (EU) 2017/2196 Art. 22:
manual demand disconnection is instructed by the TSO and executed by the DSOs.

Load shedding: ``order_t`` MW at the interface; the DSO disconnects load pro rata to each node's
sheddable load ``(1 − protected) · load`` (protected customers, e.g. hospitals, are kept);
``executed_t = min(order_t, Σ sheddable)`` and ``served + shed = demand`` exactly.

Support: ``request_t`` MW up (raise net injection: less load, more generation) or down (curtail
generation, more load). The DSO first caps it by what its grid allows (``dso_limit_mw``), then
allocates it to DERs in merit order of ``price_eur_per_mwh`` (pro rata to flexibility when no
prices are given) within each DER's available flexibility; the rest is refused and reported.
The result's per-DER requests go through :func:`tdcoord.simulation.activation.activate`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from tdcoord.grid.model import Feeder
from tdcoord.simulation.emergency import State, check_action
from tdcoord.simulation.errors import SimulationError
from tdcoord.simulation.records import Record, dso_actor, record
from tdcoord.types import FloatArray


def _series(value: npt.ArrayLike, T: int | None, what: str) -> FloatArray:
    a = np.atleast_1d(np.asarray(value, dtype=np.float64))
    if a.ndim != 1 or (T is not None and a.shape[0] != T):
        raise SimulationError(
            f"{what} has shape {a.shape}, expected ({T},)",
            where="TSO order",
            fix="give one MW value per interval of the order",
        )
    if not np.all(np.isfinite(a)) or np.any(a < 0):
        raise SimulationError(
            f"{what} has negative or non-finite values", where="TSO order", fix="give MW >= 0"
        )
    return a


# --------------------------------------------------------------------------- load shedding


@dataclass(frozen=True, eq=False)
class ShedResult:
    feeder: str
    ordered_mw: FloatArray
    executed_mw: FloatArray
    not_executed_mw: FloatArray
    shed_node_mw: FloatArray
    demand_mw: FloatArray
    served_mw: FloatArray
    states: tuple[State, ...]
    messages: tuple[Record, ...]


def shed_load(
    feeder: Feeder,
    order_mw: npt.ArrayLike,
    load_mw: npt.ArrayLike,
    *,
    start_interval: int = 0,
    protected_fraction: npt.ArrayLike = 0.0,
    state: State = "emergency",
) -> ShedResult:
    """Execute a TSO load-shedding order on ``feeder`` (node rows × T load, MW)."""
    check_action(state, "load_shedding")
    load = np.asarray(load_mw, dtype=np.float64)
    if load.ndim != 2 or load.shape[0] != feeder.n_node or np.any(load < 0):
        raise SimulationError(
            f"load_mw has shape {load.shape}, expected ({feeder.n_node}, T) with MW >= 0",
            where=f"feeder {feeder.id!r}",
            fix="give one row per node row, one column per interval",
        )
    T = load.shape[1]
    order = _series(order_mw, T, "order_mw")
    prot = np.broadcast_to(np.asarray(protected_fraction, dtype=np.float64), (feeder.n_node,))
    if np.any((prot < 0) | (prot > 1)):
        raise SimulationError(
            "protected_fraction outside [0, 1]", where=f"feeder {feeder.id!r}", fix="give 0..1"
        )
    sheddable = load * (1.0 - prot[:, None])
    total = sheddable.sum(axis=0)
    executed = np.minimum(order, total)
    frac = np.divide(executed, total, out=np.zeros(T), where=total > 0)
    shed_node = sheddable * frac[None, :]
    demand = load.sum(axis=0)
    dso = dso_actor(feeder.id)
    msgs: list[Record] = [record("tso", dso, "load_shedding_order", T, start_interval)]
    msgs.append(record(dso, "tso", "shedding_report", T, start_interval))
    states: tuple[State, ...] = tuple("emergency" if e > 0 else state for e in executed)
    return ShedResult(
        feeder=feeder.id,
        ordered_mw=order,
        executed_mw=executed,
        not_executed_mw=order - executed,
        shed_node_mw=shed_node,
        demand_mw=demand,
        served_mw=demand - shed_node.sum(axis=0),
        states=states,
        messages=tuple(msgs),
    )


# --------------------------------------------------------------------------- DSO support


@dataclass(frozen=True, eq=False)
class SupportResult:
    feeder: str
    direction: Literal["up", "down"]
    requested_mw: FloatArray
    granted_mw: FloatArray
    refused_grid_mw: FloatArray
    """Refused because the DSO's grid does not allow it (above ``dso_limit_mw``)."""
    refused_flex_mw: FloatArray
    """Refused for lack of DER flexibility in the area."""
    der_ids: tuple[str, ...]
    der_request_mw: FloatArray
    """Signed activation request per DER × interval (to pass to ``activate``)."""
    messages: tuple[Record, ...]


@dataclass(frozen=True, eq=False)
class SupportArea:
    """The DERs a support request can reach below one feeder: ids, flexibility per direction
    (DER × T, MW ≥ 0, from :func:`~tdcoord.simulation.activation.available_flexibility`),
    optional prices (one per DER: merit order; without: pro rata) and aggregators (who receives
    each DER's request; without: the DER itself)."""

    der_ids: Sequence[str]
    up_mw: npt.ArrayLike
    down_mw: npt.ArrayLike
    price_eur_per_mwh: npt.ArrayLike | None = None
    aggregator_of: Mapping[str, str] | None = None


def _allocate(
    flex: FloatArray, granted: FloatArray, price_eur_per_mwh: npt.ArrayLike | None
) -> FloatArray:
    """Split ``granted`` (T,) over the DERs: merit order with prices, else pro rata."""
    T = flex.shape[1]
    total = flex.sum(axis=0)
    if price_eur_per_mwh is None:
        frac = np.divide(granted, total, out=np.zeros(T), where=total > 0)
        return np.asarray(flex * frac[None, :], dtype=np.float64)
    price = np.asarray(price_eur_per_mwh, dtype=np.float64)
    if price.shape != (flex.shape[0],) or not np.all(np.isfinite(price)):
        raise SimulationError(
            f"price_eur_per_mwh has shape {price.shape}, expected ({flex.shape[0]},)",
            where="support request",
            fix="give one finite price per DER",
        )
    order = np.argsort(price, kind="stable")
    f = flex[order]
    before = np.cumsum(f, axis=0) - f
    take = np.empty_like(flex)
    take[order] = np.clip(granted[None, :] - before, 0.0, f)
    return take


def _support_messages(
    dso: str, ids: tuple[str, ...], take: FloatArray, area: SupportArea, start_interval: int
) -> tuple[Record, ...]:
    """TSO → DSO request, DSO → aggregator (or DER) requests, DSO → TSO response."""
    T = take.shape[1]
    agg = area.aggregator_of or {}
    msgs: list[Record] = [record("tso", dso, "support_request", T, start_interval)]
    active = take > 1e-12
    receivers = [f"aggregator:{agg[i]}" if i in agg else f"der:{i}" for i in ids]
    for rcv in sorted(set(receivers)):
        rows = np.array([r == rcv for r in receivers])
        n_vals = int(active[rows].sum())
        if n_vals:
            first = int(np.flatnonzero(active[rows].any(axis=0))[0])
            msgs.append(record(dso, rcv, "activation_request", n_vals, start_interval + first))
    msgs.append(record(dso, "tso", "support_response", T, start_interval))
    return tuple(msgs)


def request_support(
    feeder_id: str,
    request_mw: npt.ArrayLike,
    direction: Literal["up", "down"],
    area: SupportArea,
    *,
    start_interval: int = 0,
    dso_limit_mw: npt.ArrayLike | None = None,
    state: State = "alert",
) -> SupportResult:
    """Route a TSO support request through the DSO of ``feeder_id`` to the DERs of ``area``:
    the DSO caps it by its grid limit ``dso_limit_mw`` and allocates it (module doc)."""
    check_action(state, "dso_support_request")
    if direction not in ("up", "down"):
        raise SimulationError(
            f"direction {direction!r}", where="support request", fix="use 'up' or 'down'"
        )
    ids = tuple(str(i) for i in area.der_ids)
    flex = np.asarray(area.up_mw if direction == "up" else area.down_mw, dtype=np.float64)
    if flex.ndim != 2 or flex.shape[0] != len(ids) or np.any(flex < 0):
        raise SimulationError(
            f"flexibility has shape {flex.shape}, expected ({len(ids)}, T) with MW >= 0",
            where=f"support request to {dso_actor(feeder_id)}",
            fix="give the area's DER flexibility, one row per DER id",
        )
    T = flex.shape[1]
    req = _series(request_mw, T, "request_mw")
    limit = (
        req if dso_limit_mw is None else np.minimum(req, _series(dso_limit_mw, T, "dso_limit_mw"))
    )
    granted = np.minimum(limit, flex.sum(axis=0))
    take = _allocate(flex, granted, area.price_eur_per_mwh)
    sign = 1.0 if direction == "up" else -1.0
    return SupportResult(
        feeder=feeder_id,
        direction=direction,
        requested_mw=req,
        granted_mw=granted,
        refused_grid_mw=req - limit,
        refused_flex_mw=limit - granted,
        der_ids=ids,
        der_request_mw=sign * take,
        messages=_support_messages(dso_actor(feeder_id), ids, take, area, start_interval),
    )


