"""The KPI keys of a comparison, with label, unit, direction of "better" and a plain definition.

Definitions follow the shared design (``coordination-models.md``, "KPIs for comparing models" and
"Definitions that every scheme shares"), themselves taken from SmartNet, ENA Future Worlds,
Gridworks and IESO assessments (seed 001 §III, seed 000 §1.5). ``better`` is ``"min"``,
``"max"`` or ``None`` (a volume or revenue that is neither good nor bad in itself: not highlighted).
``violation`` marks KPIs where any value above zero is an unresolved grid problem (shown in red).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class KpiInfo:
    """One KPI key: ``label``, ``unit``, ``better`` direction, ``violation`` flag, meaning."""

    label: str
    unit: str
    better: Literal["min", "max"] | None
    description: str
    violation: bool = False


KPI_GLOSSARY: dict[str, KpiInfo] = {
    "total_cost": KpiInfo(
        "Total cost",
        "EUR",
        "min",
        "The sum of its six components: procurement + availability + transmission redispatch + "
        "balancing reserves + violation penalty (overload MWh, voltage pu·h and surplus after AC "
        "validation at the study's penalties) + energy not served at the value of lost load. "
        "Exogenous cost (shedding an event imposes on every model) and operation cost are "
        "reported apart. Comparable across models because the penalties are the same for all.",
    ),
    "procurement_cost": KpiInfo(
        "Procurement cost",
        "EUR",
        "min",
        "Pay-as-bid cost of the flexibility activated in every stage (offer price × MW × "
        "interval length), whoever buys it; component of total cost (redispatch and "
        "availability apart).",
    ),
    "tso_cost": KpiInfo(
        "TSO cost",
        "EUR",
        "min",
        "What the TSO (or platform) pays: its flexibility and its redispatch.",
    ),
    "dso_cost": KpiInfo("DSO cost", "EUR", "min", "Procurement cost borne by the DSOs together."),
    "welfare": KpiInfo(
        "Welfare",
        "EUR",
        "max",
        "Minus total cost, exactly: the value of covering the needs is the same for every model, "
        "so welfare differences are cost differences.",
    ),
    "unresolved_violations": KpiInfo(
        "Unresolved violations",
        "count",
        "min",
        "Number of branch overloads and voltages outside limits left after AC validation of the "
        "final dispatch (interval × element).",
        violation=True,
    ),
    "unresolved_overload_mwh": KpiInfo(
        "Unresolved overload",
        "MWh",
        "min",
        "Energy above branch ratings left after validation, summed over branches and intervals.",
        violation=True,
    ),
    "unresolved_voltage_pu_h": KpiInfo(
        "Unresolved voltage deviation",
        "pu·h",
        "min",
        "Voltage outside limits left after validation, |deviation| × duration summed over nodes.",
        violation=True,
    ),
    "energy_not_served_mwh": KpiInfo(
        "Energy not served",
        "MWh",
        "min",
        "Balance shortfall of the delivered dispatch after validation (need not covered); "
        "values at or below 1e-6 MWh are rounding noise, counted as 0.",
        violation=True,
    ),
    "curtailment_mwh": KpiInfo(
        "Curtailment", "MWh", "min", "Renewable or DER energy curtailed below its availability."
    ),
    "activated_up_mwh": KpiInfo(
        "Activated up", "MWh", None, "Upward flexibility activated (more injection / less load)."
    ),
    "activated_down_mwh": KpiInfo(
        "Activated down",
        "MWh",
        None,
        "Downward flexibility activated (less injection / more load).",
    ),
    "double_activations": KpiInfo(
        "Double activations",
        "count",
        "min",
        "DER-intervals where two buyers activated the same DER for more than it can deliver in "
        "total (the later activation cannot be honoured).",
    ),
    "depleted_storage_calls": KpiInfo(
        "Depleted-storage calls",
        "count",
        "min",
        "(DER, interval) pairs where a storage-like DER (battery, EV, heat pump, flexible "
        "load) was asked more than its state allowed (seed 000 §3.2: a depleted storage called "
        "upon to discharge): the activation cut of the day's plan walked with complete "
        "delivery. 0 in every model whose clearing sees the DER state; > 0 only where the "
        "information boundary hides it.",
    ),
    "undeliverable_request_mwh": KpiInfo(
        "Undeliverable requests",
        "MWh",
        "min",
        "Energy of the depleted-storage calls: the part of the requests to storage-like DERs "
        "that their state could not deliver (cut at activation, so not delivered).",
    ),
    "double_activation_mwh": KpiInfo(
        "Double-activated volume",
        "MWh",
        "min",
        "Energy bought beyond a DER's offered quantity because several buyers activated it in "
        "the same interval (the excess cannot be delivered).",
    ),
    "counter_activations": KpiInfo(
        "Counter-activations",
        "count",
        "min",
        "Number (a count, not MWh) of (feeder, interval) pairs where one operator bought "
        "upward and another downward flexibility below the same T–D interface (paid twice, "
        "delivers nothing net).",
    ),
    "counter_activation_mwh": KpiInfo(
        "Counter-activated volume",
        "MWh",
        "min",
        "The overlap of those opposite activations, min(up, down) × interval length, summed.",
    ),
    "interface_deviation_mwh": KpiInfo(
        "Interface schedule deviation",
        "MWh",
        "min",
        "|actual − agreed| exchange at every T–D interface, summed over the day.",
    ),
    "der_revenue": KpiInfo(
        "DER and aggregator revenue",
        "EUR",
        None,
        "What DERs and aggregators earn, all products stacked (a cost for buyers, an income for "
        "flexibility providers: not ranked).",
    ),
    "der_revenue_by_der": KpiInfo(
        "DER revenue by DER",
        "EUR per DER",
        None,
        "The DER and aggregator revenue split by DER (a dictionary in kpis.json, not tabulated).",
    ),
    "aggregator_revenue": KpiInfo(
        "Aggregator revenue",
        "EUR per aggregator",
        None,
        "Revenue per aggregator (a dictionary in kpis.json, not tabulated).",
    ),
    "messages": KpiInfo(
        "Messages", "count", "min", "Messages exchanged between all actors (from the message log)."
    ),
    "bytes": KpiInfo("Bytes", "bytes", "min", "Payload bytes exchanged between all actors."),
    "messages_by_pair": KpiInfo(
        "Messages by actor pair",
        "count, bytes",
        None,
        "Messages and bytes per sender → receiver pair (a dictionary in kpis.json, shown in the "
        "Messages section).",
    ),
    "parties_per_der": KpiInfo(
        "Parties per DER",
        "count",
        "min",
        "Average number of parties (operators, platforms, aggregator) a DER must deal with.",
    ),
    "compute_s": KpiInfo(
        "Computation time",
        "s",
        "min",
        "Wall time to clear the model over the whole day; in kpis.json and the terminal only, "
        "not in the report.",
    ),
    "settlement_residual_eur": KpiInfo(
        "Settlement residual",
        "EUR",
        None,
        "Sum of all settlement statements: zero up to rounding when every payer and payee is a "
        "party (a consistency check, not a cost).",
    ),
    "imbalance_mwh": KpiInfo(
        "Imbalance volume",
        "MWh",
        "min",
        "Σ over BRPs and intervals of |final position − schedule| × interval length "
        "(0 without imbalance settlement).",
    ),
    "imbalance_paid_by_brps_eur": KpiInfo(
        "Imbalance paid by BRPs",
        "EUR",
        None,
        "What balance responsible parties pay the TSO (negative: receive) for the gap between "
        "their final position and their day-ahead schedule, at the imbalance price. Mostly "
        "forecast error of load and renewables, which no coordination model removes; a transfer "
        "between BRPs and the TSO, not a cost of coordination and not part of total cost "
        "(docs/settlement.md, 'Imbalance').",
    ),
    "availability_paid_eur": KpiInfo(
        "Availability paid",
        "EUR",
        None,
        "Sum of the availability (reservation) payments in the settlement.",
    ),
    "stacking_conflicts": KpiInfo(
        "Value-stacking conflicts",
        "count",
        "min",
        "Requests to one seller beyond its capacity when it sells to several products/buyers.",
    ),
    "emergency_energy_not_served_mwh": KpiInfo(
        "Emergency energy not served",
        "MWh",
        "min",
        "Load shed at the real-time operating point by the study's events (emergency orders); "
        "priced in emergency cost.",
    ),
    "emergency_cost": KpiInfo(
        "Emergency cost",
        "EUR",
        "min",
        "Emergency energy not served × value of lost load. The exogenous part (shedding an "
        "event orders whatever the model) is exogenous cost, outside total cost; the rest is in "
        "the energy-not-served cost.",
    ),
    "availability_cost_eur": KpiInfo(
        "Availability cost",
        "EUR",
        "min",
        "Availability (reservation) payments of the settlement; component of total cost.",
    ),
    "transmission_redispatch_eur": KpiInfo(
        "Transmission redispatch cost",
        "EUR",
        "min",
        "The TSO's redispatch of transmission generators: up at marginal cost + premium, down "
        "at premium − marginal cost, every stage; component of total cost.",
    ),
    "balancing_reserve_eur": KpiInfo(
        "Balancing reserve cost",
        "EUR",
        "min",
        "Frequency-restoration reserves of the transmission generators that closed the "
        "residual balance gap left after every market (DER non-delivery, cut requests), in "
        "merit order at the redispatch prices; component of total cost.",
    ),
    "balancing_reserve_mwh": KpiInfo(
        "Balancing reserve energy",
        "MWh",
        "min",
        "Energy the balancing reserves delivered, up and down, to close the residual balance "
        "gap; what the markets left for the TSO's reserves.",
    ),
    "violation_penalty_eur": KpiInfo(
        "Violation penalty",
        "EUR",
        "min",
        "Residual violations after AC validation priced at the study's penalties: overload MWh × "
        "overload price + voltage pu·h × voltage price + surplus MWh × curtailment price; "
        "component of total cost. Residuals at or below 1e-6 MWh / pu·h are noise, counted as 0.",
    ),
    "energy_not_served_eur": KpiInfo(
        "Energy-not-served cost",
        "EUR",
        "min",
        "Value of lost load × (energy not served after validation + the emergency shedding the "
        "model's own operating point led to); component of total cost.",
    ),
    "exogenous_cost_eur": KpiInfo(
        "Exogenous cost",
        "EUR",
        None,
        "Exogenous energy not served × value of lost load: the same in every model, reported "
        "apart and not in total cost.",
    ),
    "exogenous_energy_not_served_mwh": KpiInfo(
        "Exogenous energy not served",
        "MWh",
        None,
        "Shedding the study's events impose whatever the model: a faulted section's load no DER "
        "could carry, a shedding order beyond all the feeder's flexibility, a transmission "
        "island's load beyond its generation. Included in emergency energy not served.",
    ),
    "ex_ante_cost_eur": KpiInfo(
        "Ex-ante cost (central objective)",
        "EUR",
        "min",
        "The model's day-ahead dispatch costed with the central clearing's own objective (same "
        "DC transmission and LinDistFlow feeder model, offers, needs and penalties), as it can "
        "be delivered: requests beyond a battery's stored energy are cut first. The central "
        "optimum (eu.central) is the lowest possible value. An objective, not a payment: it "
        "includes the penalties for slack against the margin-tightened limits.",
    ),
    "operation_cost_eur": KpiInfo(
        "Operation cost",
        "EUR",
        "min",
        "The actors' cost of running the model for the day: platform + market operation per "
        "operator + data exchange per message, from the study's operation_costs (default 0: no "
        "published source). Reported apart from total cost.",
    ),
    "market_operators_count": KpiInfo(
        "Market operators",
        "count",
        None,
        "Actors that receive offers and clear a market in the model (TSO, DSOs, platform); "
        "the basis of the market-operation part of operation cost.",
    ),
    "worst_state": KpiInfo(
        "Worst operating state",
        "",
        None,
        "The worst operating state reached over the day (normal, alert, emergency, ...).",
    ),
    "wall_s": KpiInfo(
        "Wall time",
        "s",
        "min",
        "Wall-clock time of the model's whole day (clearing, validation, settlement); in "
        "kpis.json and the terminal only, not in the report.",
    ),
    "status": KpiInfo(
        "Status",
        "",
        None,
        "Solver status of the clearing: optimal, optimal_with_slacks (priced slacks used), "
        "infeasible or not_converged.",
    ),
}


#: Timing KPIs: they change from run to run, so the report never shows them (byte-for-byte
#: reproducible report); they stay in kpis.json and the terminal table.
TIMING_KPIS: frozenset[str] = frozenset({"compute_s", "wall_s", "setup_s"})


def kpi_info(key: str) -> KpiInfo:
    """Glossary entry of ``key``; an unknown key gets a neutral entry named after the key."""
    return KPI_GLOSSARY.get(
        key,
        KpiInfo(key.replace("_", " ").capitalize(), "", None, "Not in the glossary (as given)."),
    )
