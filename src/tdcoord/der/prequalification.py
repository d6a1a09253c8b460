"""Product prequalification: a DER's (or an aggregation's) technical attributes vs a product,
under a jurisdiction preset → a traffic light with reasons.

Checks (each failing check adds a reason):

* **size** — ``p_max_mw >= preset.min_size_standalone_mw(product)`` passes alone; a smaller
  resource is **amber** ("only within an aggregation") when the preset allows aggregation and the
  unit meets ``min_unit_size_in_aggregation``, else **red** (seed 000 §1.3: minimum sizes and
  aggregation; IESO: ≥100 kW alone, <100 kW aggregated).
* **direction** — the resource offers at least one direction the product buys (both for a
  symmetric product).
* **response time** and **duration** — ``response_time_s <= product.response_time_s``,
  ``sustain_min >= product.min_duration_min``.
* **telemetry** — real-time telemetry if the product requires it.
* **reactive** — a reactive product needs reactive capability.
* **export rule** — a demand-response participant that would export breaks the rule of presets
  with ``demand_response_export_allowed = false`` (PJM, NYISO; seed 000 §1.3) → red.
* **availability** — the preset may switch a product off.

The result type :class:`PrequalificationResult` (green / amber / red + reasons) is shared with the
DSO's grid prequalification (traffic light from a feeder model), which the lead adds later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from tdcoord.market.products import Direction, Product
from tdcoord.market.rules import Preset

Participation = Literal["demand_response", "generation", "storage"]


class TrafficLight(StrEnum):
    """Green: qualifies. Amber: qualifies under conditions (stated in the reasons). Red: not."""

    GREEN = "green"
    AMBER = "amber"
    RED = "red"


_ORDER = {TrafficLight.GREEN: 0, TrafficLight.AMBER: 1, TrafficLight.RED: 2}


@dataclass(frozen=True)
class PrequalificationResult:
    """Outcome of a technical (product) or grid prequalification."""

    subject: str
    product_id: str
    light: TrafficLight
    reasons: tuple[str, ...] = ()
    kind: Literal["product", "grid"] = "product"

    @property
    def passed(self) -> bool:
        """Green or amber (amber carries conditions, see ``reasons``)."""
        return self.light is not TrafficLight.RED

    def combine(self, other: PrequalificationResult) -> PrequalificationResult:
        """The worse light of the two, reasons concatenated (e.g. product + grid)."""
        light = max(self.light, other.light, key=_ORDER.__getitem__)
        return PrequalificationResult(
            self.subject, self.product_id, light, self.reasons + other.reasons, self.kind
        )


@dataclass(frozen=True)
class TechnicalAttributes:
    """What a DER (or an aggregation) declares for prequalification.

    ``p_max_mw``: flexible capacity it can offer (MW, MVAr for reactive products);
    ``response_time_s``: time to start delivering; ``sustain_min``: how long it can hold full
    delivery; ``directions``: ``"up"``/``"down"`` it can provide; ``can_export``: whether it may
    inject into the grid at the connection point.
    """

    der_id: str
    p_max_mw: float
    response_time_s: float
    sustain_min: float
    directions: tuple[Direction, ...] = ("up", "down")
    telemetry: bool = False
    reactive_capable: bool = False
    participation: Participation = "generation"
    can_export: bool = False
    members: tuple[str, ...] = field(default_factory=tuple)


def _light(reds: list[str], ambers: list[str]) -> TrafficLight:
    if reds:
        return TrafficLight.RED
    return TrafficLight.AMBER if ambers else TrafficLight.GREEN


def _common_checks(
    a: TechnicalAttributes, product: Product, preset: Preset, reds: list[str]
) -> None:
    if not preset.product_available(product.id):
        reds.append(f"product {product.id!r} is not available under preset {preset.id!r}")
    wanted = set(product.directions)
    offered = set(a.directions)
    if product.symmetric and not wanted <= offered:
        reds.append(f"{product.id} is symmetric: needs both up and down, offers {sorted(offered)}")
    elif not wanted & offered:
        reds.append(f"{product.id} buys {sorted(wanted)}, resource offers {sorted(offered)}")
    if product.response_time_s is not None and a.response_time_s > product.response_time_s:
        reds.append(
            f"response time {a.response_time_s:g} s exceeds the {product.response_time_s:g} s "
            f"of {product.id}"
        )
    if product.min_duration_min is not None and a.sustain_min < product.min_duration_min:
        reds.append(
            f"can sustain {a.sustain_min:g} min, "
            f"{product.id} needs {product.min_duration_min:g} min"
        )
    if product.telemetry_required and not a.telemetry:
        reds.append(f"{product.id} requires real-time telemetry")
    if product.reactive and not a.reactive_capable:
        reds.append(f"{product.id} is a reactive product; resource has no reactive capability")
    if (
        a.participation == "demand_response"
        and a.can_export
        and not preset.participation.demand_response_export_allowed.value
    ):
        reds.append(
            f"demand response may not export under {preset.id} "
            f"({preset.participation.demand_response_export_allowed.source.strip()})"
        )


def prequalify(a: TechnicalAttributes, product: Product, preset: Preset) -> PrequalificationResult:
    """Prequalify one resource (alone) for ``product`` under ``preset``."""
    reds: list[str] = []
    ambers: list[str] = []
    _common_checks(a, product, preset, reds)
    alone = preset.min_size_standalone_mw(product.id)
    unit_min = preset.min_unit_in_aggregation_mw()
    if a.p_max_mw < 0:
        reds.append("p_max_mw is negative")
    elif a.p_max_mw < alone:
        if not preset.participation.aggregation_allowed.value:
            reds.append(
                f"{a.p_max_mw * 1e3:g} kW is below the {alone * 1e3:g} kW minimum of {preset.id} "
                "and aggregation is not allowed"
            )
        elif a.p_max_mw < unit_min:
            reds.append(
                f"{a.p_max_mw * 1e3:g} kW is below the {unit_min * 1e3:g} kW minimum for a unit "
                f"in an aggregation under {preset.id}"
            )
        else:
            ambers.append(
                f"{a.p_max_mw * 1e3:g} kW is below the {alone * 1e3:g} kW stand-alone minimum of "
                f"{preset.id}: qualifies only within an aggregation of at least "
                f"{preset.min_size_mw(product.id) * 1e3:g} kW"
            )
    return PrequalificationResult(a.der_id, product.id, _light(reds, ambers), tuple(reds + ambers))


def aggregate_attributes(
    aggregation_id: str, members: Sequence[TechnicalAttributes]
) -> TechnicalAttributes:
    """Attributes of an aggregation: capacities add, the slowest response and the shortest
    sustain time bind, directions are those all members offer, telemetry and reactive capability
    only if every member has them, export if any member exports."""
    if not members:
        raise ValueError("an aggregation needs at least one member")
    common = set(members[0].directions)
    for m in members[1:]:
        common &= set(m.directions)
    participations = {m.participation for m in members}
    part: Participation = (
        "demand_response" if "demand_response" in participations else members[0].participation
    )
    return TechnicalAttributes(
        der_id=aggregation_id,
        p_max_mw=sum(m.p_max_mw for m in members),
        response_time_s=max(m.response_time_s for m in members),
        sustain_min=min(m.sustain_min for m in members),
        directions=tuple(d for d in ("up", "down") if d in common),
        telemetry=all(m.telemetry for m in members),
        reactive_capable=all(m.reactive_capable for m in members),
        participation=part,
        can_export=any(m.can_export for m in members),
        members=tuple(m.der_id for m in members),
    )


def prequalify_aggregation(
    aggregation_id: str,
    members: Sequence[TechnicalAttributes],
    product: Product,
    preset: Preset,
) -> PrequalificationResult:
    """Prequalify an aggregation: the total must reach the preset's minimum size, every member
    must reach the minimum unit size in an aggregation, and the aggregate must meet the product's
    response, duration and telemetry requirements."""
    agg = aggregate_attributes(aggregation_id, members)
    reds: list[str] = []
    if not preset.participation.aggregation_allowed.value and len(members) > 1:
        reds.append(f"aggregation is not allowed under {preset.id}")
    _common_checks(agg, product, preset, reds)
    need = preset.min_size_mw(product.id)
    if agg.p_max_mw < need:
        reds.append(
            f"aggregation totals {agg.p_max_mw * 1e3:g} kW, below the {need * 1e3:g} kW minimum "
            f"of {preset.id} for {product.id}"
        )
    unit_min = preset.min_unit_in_aggregation_mw()
    small = [m.der_id for m in members if m.p_max_mw < unit_min]
    if small:
        reds.append(f"member {small[0]!r} is below the {unit_min * 1e3:g} kW unit minimum")
    return PrequalificationResult(aggregation_id, product.id, _light(reds, []), tuple(reds))
