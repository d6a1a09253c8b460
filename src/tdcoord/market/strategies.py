"""Bidding strategies: how an aggregator turns DER flexibility into stepwise price–quantity offers.

Seed 000 §2.3 names the remuneration of DER services "marginal price and opportunity costs": the
default strategy ``cost_based`` asks each DER's **marginal (opportunity) cost of deviating from its
baseline**, per MWh (per Mvarh for reactive power). Every cost-based price is ``>= 0``: an owner
asks at least its own cost; energy moved in time (storage, EV, flexible load, heat pump) is
valued neutrally (it is bought back later at the same energy value), energy that is lost
(PV, wind and CHP curtailment) costs the lost revenue net of avoided fuel. With all prices
non-negative no pair of up and down offers has a negative total price, so a cost-minimising
clearing never activates flexibility without a need.

Marginal cost per type and direction (:func:`der_costs`, defaults in :class:`CostAssumptions`):

==============  =============================================  =================================
type            up (more injection / less consumption)         down
==============  =============================================  =================================
pv, wind        — (no up-flexibility)                          lost feed-in tariff / award
battery         ``c_deg + V (1/(η_c η_d) − 1)``                same (a shift with round-trip loss)
ev              discomfort of later charging                   cost of earlier charging
flexible_load   discomfort of deferring                        cost of advancing
heat_pump       discomfort (cooler within the comfort band)    pre-heating losses
chp             fuel cost ``c_f``                              ``max(V − c_f, 0)`` (lost margin)
reactive        ``loss_share · V`` per Mvarh (inverter losses) same
==============  =============================================  =================================

with ``V`` the energy value and the battery degradation cost per MWh of throughput
``c_deg = capex / (2 · cycle_life · depth_of_discharge)`` (each full cycle moves
``2 · DoD · E`` through the cells; Xu et al., "Factoring the cycle aging cost of batteries
participating in electricity markets", IEEE Trans. Power Syst. 33(2), 2018, use the same
cost-per-cycle idea).

A strategy turns the cost ``c`` of a bundle (one number per bundle and interval) into ``S`` steps:
step ``k`` offers ``fraction_k`` of the bundle's flexibility at a strictly increasing price

    price_k = c + k · max(step_premium · |c|, min_step_eur_per_mwh)      (k = 0 … S−1)

(deeper activation costs more: discomfort and degradation are convex in depth). Strategies:

* ``cost_based`` — the above (default: two steps of 50 %);
* ``markup`` — ``price_k + m · |price_k|`` (``= price_k (1 + m)`` for non-negative prices), ``m``
  per bundle uniform in ``[markup − spread, markup + spread]`` from the seeded generator;
* ``withholding`` — the cost-based steps, but only ``offered_share`` of the flexibility
  (capacity withholding).

Strategies are selectable by name (:func:`get_strategy`, :func:`available_strategies`);
:func:`register_strategy` adds your own class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from tdcoord.market.errors import MarketError
from tdcoord.types import FloatArray

#: Default discomfort costs (EUR/MWh) of shifting loads: type → (up, down). Illustrative
#: assumptions (calibrate to the study's customers): deferring consumption (up) costs more than
#: advancing it (down), because the energy need stays and the deferred part risks comfort.
DISCOMFORT_EUR_PER_MWH: Mapping[str, tuple[float, float]] = {
    "ev": (30.0, 10.0),
    "flexible_load": (40.0, 15.0),
    "heat_pump": (50.0, 20.0),
}


@dataclass(frozen=True)
class CostAssumptions:
    """Inputs of the cost-based prices (EUR; see the module table).

    * ``energy_value_eur_per_mwh`` ``V``: reference wholesale value of energy (assumption of the
      order of EU day-ahead averages in 2023–2024).
    * ``pv_feed_in_tariff_eur_per_mwh``: 82 — EEG 2023 §48(2), rooftop PV ≤ 10 kWp with
      surplus feed-in, 8.2 ct/kWh (Germany); curtailed PV loses it.
    * ``wind_award_eur_per_mwh``: 73.5 — EEG 2023 onshore wind maximum award value 7.35 ct/kWh
      (BNetzA, 2023); the sliding premium tops market revenue up to the award.
    * battery: ``capex_eur_per_mwh`` 150 000 (about the BNEF 2023 average pack price,
      139 USD/kWh), ``cycle_life`` 3000 full cycles at ``depth_of_discharge`` 0.8 (LFP) →
      ``c_deg`` = 31.25 EUR/MWh of throughput.
    * ``discomfort_eur_per_mwh``: see :data:`DISCOMFORT_EUR_PER_MWH`.
    * ``reactive_loss_share``: inverter losses per Mvarh as a share of ``V`` (0.02 → 1.6
      EUR/Mvarh).
    """

    energy_value_eur_per_mwh: float = 80.0
    pv_feed_in_tariff_eur_per_mwh: float = 82.0
    wind_award_eur_per_mwh: float = 73.5
    battery_capex_eur_per_mwh: float = 150_000.0
    battery_cycle_life: float = 3000.0
    battery_depth_of_discharge: float = 0.8
    discomfort_eur_per_mwh: Mapping[str, tuple[float, float]] = field(
        default_factory=lambda: dict(DISCOMFORT_EUR_PER_MWH)
    )
    reactive_loss_share: float = 0.02

    def __post_init__(self) -> None:
        for name in (
            "energy_value_eur_per_mwh",
            "pv_feed_in_tariff_eur_per_mwh",
            "wind_award_eur_per_mwh",
            "battery_capex_eur_per_mwh",
            "reactive_loss_share",
        ):
            if not (np.isfinite(getattr(self, name)) and getattr(self, name) >= 0):
                raise MarketError(
                    f"{name} = {getattr(self, name)!r}", where="CostAssumptions", fix="give >= 0"
                )
        if self.battery_cycle_life <= 0 or not 0 < self.battery_depth_of_discharge <= 1:
            raise MarketError(
                "battery cycle life must be > 0 and depth of discharge in (0, 1]",
                where="CostAssumptions",
                fix="e.g. battery_cycle_life=3000, battery_depth_of_discharge=0.8",
            )
        missing = sorted(set(DISCOMFORT_EUR_PER_MWH) - set(self.discomfort_eur_per_mwh))
        if missing:
            raise MarketError(
                f"no discomfort cost for {missing[0]!r}",
                where="CostAssumptions.discomfort_eur_per_mwh",
                fix="give (up, down) in EUR/MWh for ev, flexible_load and heat_pump",
            )

    @property
    def battery_degradation_eur_per_mwh(self) -> float:
        """``capex / (2 · cycle_life · DoD)`` per MWh of throughput."""
        return self.battery_capex_eur_per_mwh / (
            2.0 * self.battery_cycle_life * self.battery_depth_of_discharge
        )


def der_costs(fleet: Any, assumptions: CostAssumptions | None = None) -> dict[str, FloatArray]:
    """Marginal cost per DER in fleet order: ``{"up": (n,), "down": (n,), "q": (n,)}`` (EUR/MWh,
    EUR/Mvarh for ``q``), see the module table. Vectorised per type (one slice per type)."""
    a = assumptions if assumptions is not None else CostAssumptions()
    n = int(fleet.n_der)
    up, down = np.zeros(n), np.zeros(n)
    v = a.energy_value_eur_per_mwh
    for der_type, sl in fleet.type_slices().items():
        model = fleet.models[der_type]
        if der_type == "pv":
            down[sl] = a.pv_feed_in_tariff_eur_per_mwh
        elif der_type == "wind":
            down[sl] = a.wind_award_eur_per_mwh
        elif der_type == "battery":
            eta = np.asarray(model.eta_charge * model.eta_discharge, dtype=np.float64)
            c = a.battery_degradation_eur_per_mwh + v * (1.0 / eta - 1.0)
            up[sl] = c
            down[sl] = c
        elif der_type == "chp":
            fuel = np.asarray(model.fuel_cost_eur_per_mwh, dtype=np.float64)
            up[sl] = fuel
            down[sl] = np.maximum(v - fuel, 0.0)
        else:
            c_up, c_down = a.discomfort_eur_per_mwh[der_type]
            up[sl] = c_up
            down[sl] = c_down
    q = np.full(n, a.reactive_loss_share * v)
    return {"up": up, "down": down, "q": q}


# --------------------------------------------------------------------------- strategies


@dataclass(frozen=True)
class CostBased:
    """Stepwise offers at cost (see the module doc for the step prices)."""

    name: ClassVar[str] = "cost_based"
    step_fractions: tuple[float, ...] = (0.5, 0.5)
    step_premium: float = 0.25
    min_step_eur_per_mwh: float = 1.0

    def __post_init__(self) -> None:
        fr = np.asarray(self.step_fractions, dtype=np.float64)
        if fr.ndim != 1 or fr.size == 0 or (fr <= 0).any() or abs(fr.sum() - 1.0) > 1e-9:
            raise MarketError(
                f"step_fractions {self.step_fractions} must be positive and sum to 1",
                where=f"strategy {self.name}",
                fix="e.g. (0.5, 0.5) for two equal steps",
            )
        if self.step_premium < 0 or self.min_step_eur_per_mwh < 0:
            raise MarketError(
                "step_premium and min_step_eur_per_mwh must be >= 0",
                where=f"strategy {self.name}",
                fix="use non-negative increments (prices rise with depth)",
            )

    @property
    def n_steps(self) -> int:
        return len(self.step_fractions)

    def fractions(self) -> FloatArray:
        """Share of the bundle's flexibility offered in each step ``(S,)``."""
        return np.asarray(self.step_fractions, dtype=np.float64)

    def step_prices(self, cost: FloatArray) -> FloatArray:
        """``price_k = c + k · max(premium·|c|, min_step)``, shape ``(S, *cost.shape)``."""
        c = np.asarray(cost, dtype=np.float64)
        inc = np.maximum(self.step_premium * np.abs(c), self.min_step_eur_per_mwh)
        k = np.arange(self.n_steps, dtype=np.float64).reshape((-1,) + (1,) * c.ndim)
        return np.asarray(c[None] + k * inc[None], dtype=np.float64)

    def prices(self, cost: FloatArray, rng: np.random.Generator) -> FloatArray:
        """Asked prices per step for bundle costs ``cost`` (``(G, T)``) → ``(S, G, T)``."""
        del rng
        return self.step_prices(cost)


@dataclass(frozen=True)
class Markup(CostBased):
    """Cost-based steps marked up by ``m`` (per bundle ``m ~ U[markup ± spread]``)."""

    name: ClassVar[str] = "markup"
    markup: float = 0.2
    spread: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.spread < 0 or self.markup - self.spread < 0:
            raise MarketError(
                f"markup {self.markup} ± {self.spread} reaches below 0",
                where="strategy markup",
                fix="give markup >= spread >= 0 (0.2 = 20 % above cost)",
            )

    def prices(self, cost: FloatArray, rng: np.random.Generator) -> FloatArray:
        base = self.step_prices(cost)
        g = base.shape[1] if base.ndim > 1 else 1
        m = self.markup + self.spread * (2.0 * rng.random(g) - 1.0) if self.spread else None
        mk = np.full(g, self.markup) if m is None else m
        mk = mk.reshape((1, g) + (1,) * (base.ndim - 2)) if base.ndim > 1 else mk
        return np.asarray(base + mk * np.abs(base), dtype=np.float64)


@dataclass(frozen=True)
class Withholding(CostBased):
    """Cost-based prices, but only ``offered_share`` of the flexibility is offered."""

    name: ClassVar[str] = "withholding"
    offered_share: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 < self.offered_share <= 1:
            raise MarketError(
                f"offered_share = {self.offered_share}",
                where="strategy withholding",
                fix="give a fraction in (0, 1] (0.5 offers half the flexibility)",
            )

    def fractions(self) -> FloatArray:
        return self.offered_share * super().fractions()


_STRATEGIES: dict[str, type[CostBased]] = {
    CostBased.name: CostBased,
    Markup.name: Markup,
    Withholding.name: Withholding,
}


def available_strategies() -> list[str]:
    """Registered strategy names, sorted."""
    return sorted(_STRATEGIES)


def register_strategy(cls: type[CostBased], *, replace: bool = False) -> None:
    """Register a strategy class (a :class:`CostBased` subclass with its own ``name``)."""
    if cls.name in _STRATEGIES and not replace:
        raise MarketError(
            f"strategy {cls.name!r} is already registered",
            where="strategy registry",
            fix="pick another name or pass replace=True",
        )
    _STRATEGIES[cls.name] = cls


def get_strategy(name: str | CostBased, **params: Any) -> CostBased:
    """A strategy by name with its parameters (or the strategy object itself)."""
    if isinstance(name, CostBased):
        return name
    try:
        cls = _STRATEGIES[name]
    except KeyError:
        raise MarketError(
            f"unknown bidding strategy {name!r}",
            where="strategy registry",
            fix=f"use one of {', '.join(available_strategies())}",
        ) from None
    try:
        return cls(**params)
    except TypeError as err:
        raise MarketError(
            f"bad parameters for strategy {name!r}: {err}",
            where=f"strategy {name}",
            fix="see docs/market.md for the strategy parameters",
        ) from err
