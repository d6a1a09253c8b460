"""The simulated operating day: stages and gate closures, forecasts, activation, emergencies.

The orchestrating ``timeline`` module calls the coordination schemes; the pieces here are pure:
:mod:`.stages` (gate closures per preset, information cut-offs), :mod:`.forecast` (seeded errors),
:mod:`.activation` (requests → DER response, state carried across stages), :mod:`.emergency`
(operating states and their rules), :mod:`.line_trip`, :mod:`.feeder_fault`, :mod:`.tso_orders`
(the events) and :mod:`.events` (the study-file form of events). See ``docs/simulation.md``.
"""

from tdcoord.simulation.activation import (
    ActivationResult,
    ResponseModel,
    activate,
    available_flexibility,
    fleet_ids,
    min_duration_intervals,
    requests_from_frame,
)
from tdcoord.simulation.emergency import STATE_RULES, STATES, Margins, State, check_action, classify
from tdcoord.simulation.errors import LookaheadError, SimulationError
from tdcoord.simulation.events import (
    DsoSupport,
    Event,
    FeederFault,
    LineTrip,
    LoadShedding,
    check_events,
    parse_events,
)
from tdcoord.simulation.feeder_fault import (
    FaultArea,
    FaultResult,
    downstream_nodes,
    isolate_fault,
)
from tdcoord.simulation.forecast import ForecastConfig, forecast, forecast_errors
from tdcoord.simulation.line_trip import LineTripResult, trip_lines
from tdcoord.simulation.records import check_no_bypass
from tdcoord.simulation.stages import (
    STAGE_NAMES,
    Stage,
    StudyClock,
    assert_no_lookahead,
    information_cutoff,
    stages_for,
)
from tdcoord.simulation.tso_orders import (
    ShedResult,
    SupportArea,
    SupportResult,
    request_support,
    shed_load,
)

__all__ = [
    "STAGE_NAMES",
    "STATES",
    "STATE_RULES",
    "ActivationResult",
    "DsoSupport",
    "Event",
    "FaultArea",
    "FaultResult",
    "FeederFault",
    "ForecastConfig",
    "LineTrip",
    "LineTripResult",
    "LoadShedding",
    "LookaheadError",
    "Margins",
    "ResponseModel",
    "ShedResult",
    "SimulationError",
    "Stage",
    "State",
    "StudyClock",
    "SupportArea",
    "SupportResult",
    "activate",
    "assert_no_lookahead",
    "available_flexibility",
    "check_action",
    "check_events",
    "check_no_bypass",
    "classify",
    "downstream_nodes",
    "fleet_ids",
    "forecast",
    "forecast_errors",
    "information_cutoff",
    "isolate_fault",
    "min_duration_intervals",
    "parse_events",
    "request_support",
    "requests_from_frame",
    "shed_load",
    "stages_for",
    "trip_lines",
]
