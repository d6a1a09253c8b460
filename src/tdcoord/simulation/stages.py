"""The stages of a simulated operating day and their gate closures, from a jurisdiction preset.

A study runs on **one interval grid**: ``n_intervals`` intervals of ``interval_min`` minutes
(default 96 × 15 min) starting at 00:00 of the delivery day D. Times are minutes from that start
(negative = day D−1), in the market's local time (the preset's time-zone label, e.g. ``CET`` in
``"12:00 CET D-1"``, names that clock; no tz conversion is made).

Three stages follow one another (seed 000 §3.2: day-ahead planning, schedules exchanged "closer to
real time", activation; seed 001 §IV: activation and dispatch, real-time monitoring):

``day_ahead``
    One gate closure for the whole day: the preset's ``energy.day_ahead_gate_closure``
    (``"12:00 CET D-1"`` → −720 min), 12:00 D−1 when the preset is silent. Market time unit:
    ``energy.day_ahead_time_unit`` (else ``market_time_unit``).
``intraday``
    Gate closure ``energy.gate_closure_before_delivery`` minutes before the start of the market
    time unit that holds the interval (EU: 60 min, ACER Decision 04/2018), or a product's override
    (mFRR: 25 min); 60 min when the preset is silent.
``real_time``
    Gate closure one dispatch interval before the interval starts (``energy.dispatch_interval``,
    else ``market_time_unit``: 5 min in US RTOs, 15 min in the EU). A 5-minute preset on the
    15-minute study grid: each study interval holds three dispatch intervals; the study keeps their
    mean power, and the decision for the study interval is taken 5 min before its start (when the
    first of its three dispatch runs is computed).

A market time unit longer than the study interval (GB 30 min, NODES 60 min) groups ``k``
consecutive study intervals into one block with a common gate closure; it must be a whole number
of study intervals. A unit shorter than the study interval maps onto it as the mean (above).

Information boundary: a decision for interval ``t`` at stage ``s`` may only use information
time-stamped at or before ``information_cutoff(s, t)`` (= its gate closure);
:func:`assert_no_lookahead` is the guard the timeline calls. Cut-offs never decrease from one stage
to the next, so a later stage never feeds an earlier one.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from tdcoord.arrays import frozen_float
from tdcoord.market.rules import Preset
from tdcoord.simulation.errors import LookaheadError, SimulationError
from tdcoord.types import FloatArray

StageName = Literal["day_ahead", "intraday", "real_time"]
STAGE_NAMES: tuple[StageName, ...] = ("day_ahead", "intraday", "real_time")


DEFAULT_DA_GATE_CLOSURE = "12:00 D-1"
DEFAULT_ID_LEAD_MIN = 60.0
_GATE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*(?:[A-Za-z]{1,5}\s+)?D\s*-\s*(\d+)\s*$")


@dataclass(frozen=True)
class StudyClock:
    """The study's interval grid: ``n_intervals`` × ``interval_min`` from 00:00 of day D."""

    n_intervals: int = 96
    interval_min: float = 15.0

    def __post_init__(self) -> None:
        if int(self.n_intervals) != self.n_intervals or self.n_intervals < 1:
            raise SimulationError(
                f"n_intervals = {self.n_intervals!r}", where="StudyClock", fix="use e.g. 96"
            )
        if not (self.interval_min > 0 and np.isfinite(self.interval_min)):
            raise SimulationError(
                f"interval_min = {self.interval_min!r}", where="StudyClock", fix="use e.g. 15"
            )

    @property
    def dt_h(self) -> float:
        return self.interval_min / 60.0

    def start_min(self) -> FloatArray:
        """Start of every interval, minutes from 00:00 D."""
        return np.arange(self.n_intervals, dtype=np.float64) * self.interval_min


@dataclass(frozen=True, eq=False)
class Stage:
    """One stage of the day: its name, order, market time unit and per-interval gate closure."""

    name: StageName
    order: int
    market_time_unit_min: float
    block_intervals: int
    """Study intervals per market time unit (1 when the unit is not longer than an interval)."""
    gate_closure_min: FloatArray
    """Gate closure per delivery interval, minutes from 00:00 D (read-only)."""
    source: str
    """Where the gate closure and time unit come from (preset source or 'default')."""

    def open_intervals(self, now_min: float) -> npt.NDArray[np.bool_]:
        """Intervals this stage may still change at time ``now_min`` (gate not yet closed)."""
        return np.asarray(self.gate_closure_min >= now_min)


def parse_day_ahead_gate(text: str) -> float:
    """``"12:00 CET D-1"`` → minutes from 00:00 D (−720)."""
    m = _GATE.match(text)
    if m is None:
        raise SimulationError(
            f"cannot read day-ahead gate closure {text!r}",
            where="energy.day_ahead_gate_closure",
            fix="write it as 'HH:MM [TZ] D-n', e.g. '12:00 CET D-1'",
        )
    hh, mm, days = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if hh > 23 or mm > 59 or days < 1:
        raise SimulationError(
            f"day-ahead gate closure {text!r} is not a time on a day before delivery",
            where="energy.day_ahead_gate_closure",
            fix="use HH 0-23, MM 0-59 and D-1 or earlier",
        )
    return float(hh * 60 + mm - days * 1440)


def _block(unit_min: float, clock: StudyClock, what: str) -> int:
    ratio = unit_min / clock.interval_min
    if ratio <= 1.0 + 1e-9:
        if abs(clock.interval_min / unit_min - round(clock.interval_min / unit_min)) > 1e-9:
            raise SimulationError(
                f"{what} of {unit_min:g} min does not divide the {clock.interval_min:g}-min "
                "study interval",
                where="StudyClock",
                fix="choose a study interval that is a multiple of the market time unit",
            )
        return 1
    if abs(ratio - round(ratio)) > 1e-9:
        raise SimulationError(
            f"{what} of {unit_min:g} min is not a whole number of {clock.interval_min:g}-min "
            "study intervals",
            where="StudyClock",
            fix="choose a study interval that divides the market time unit",
        )
    return round(ratio)


def _block_start(clock: StudyClock, k: int) -> FloatArray:
    idx = (np.arange(clock.n_intervals) // k) * k
    return idx.astype(np.float64) * clock.interval_min


def stages_for(
    preset: Preset, clock: StudyClock | None = None, product_id: str | None = None
) -> tuple[Stage, Stage, Stage]:
    """Day-ahead, intraday and real-time stages of ``preset`` on ``clock``.

    ``product_id`` selects a product's gate-closure override for the intraday stage (e.g.
    ``"mfrr"`` → 25 min in ``eu_generic``).
    """
    clock = clock or StudyClock()
    en = preset.energy
    mtu = en.market_time_unit.value
    # day-ahead
    da_unit = en.day_ahead_time_unit.value if en.day_ahead_time_unit is not None else mtu
    if en.day_ahead_gate_closure is not None:
        da_gate = parse_day_ahead_gate(en.day_ahead_gate_closure.value)
        da_src = en.day_ahead_gate_closure.source
    else:
        da_gate = parse_day_ahead_gate(DEFAULT_DA_GATE_CLOSURE)
        da_src = f"default {DEFAULT_DA_GATE_CLOSURE} (preset {preset.id!r} gives none)"
    k_da = _block(da_unit, clock, "day-ahead time unit")
    day_ahead = Stage(
        "day_ahead", 0, da_unit, k_da, frozen_float(np.full(clock.n_intervals, da_gate)), da_src
    )
    # intraday
    lead: float | None = None
    id_src = ""
    if product_id is not None:
        rule = preset.products.get(product_id)
        if rule is not None and rule.gate_closure_before_delivery is not None:
            lead, id_src = (
                rule.gate_closure_before_delivery.value,
                rule.gate_closure_before_delivery.source,
            )
    if lead is None and en.gate_closure_before_delivery is not None:
        lead, id_src = en.gate_closure_before_delivery.value, en.gate_closure_before_delivery.source
    if lead is None:
        lead = DEFAULT_ID_LEAD_MIN
        id_src = f"default {DEFAULT_ID_LEAD_MIN:g} min (preset {preset.id!r} gives none)"
    k_id = _block(mtu, clock, "market time unit")
    id_gates = frozen_float(_block_start(clock, k_id) - lead)
    intraday = Stage("intraday", 1, mtu, k_id, id_gates, id_src)
    # real time
    if en.dispatch_interval is not None:
        disp, rt_src = en.dispatch_interval.value, en.dispatch_interval.source
    else:
        disp, rt_src = mtu, en.market_time_unit.source
    k_rt = _block(disp, clock, "dispatch interval")
    rt_gates = frozen_float(_block_start(clock, k_rt) - disp)
    real_time = Stage("real_time", 2, disp, k_rt, rt_gates, rt_src)
    _check_monotone((day_ahead, intraday, real_time))
    return day_ahead, intraday, real_time


def _check_monotone(stages: Sequence[Stage]) -> None:
    for a, b in itertools.pairwise(stages):
        bad = np.flatnonzero(b.gate_closure_min < a.gate_closure_min)
        if bad.size:
            t = int(bad[0])
            raise SimulationError(
                f"{b.name} gate closure ({b.gate_closure_min[t]:g} min) precedes {a.name} "
                f"({a.gate_closure_min[t]:g} min) for interval {t}",
                where="preset energy rules",
                fix="check day_ahead_gate_closure and gate_closure_before_delivery",
            )


def information_cutoff(stage: Stage, interval: int | npt.ArrayLike) -> FloatArray:
    """Latest time (minutes from 00:00 D) whose information a decision for ``interval`` at
    ``stage`` may use: the stage's gate closure for that interval."""
    t = np.asarray(interval, dtype=np.int64)
    n = stage.gate_closure_min.size
    if np.any((t < 0) | (t >= n)):
        raise SimulationError(
            f"interval {t.tolist()} outside 0..{n - 1}",
            where=f"stage {stage.name}",
            fix="index intervals of the study day from 0",
        )
    return np.asarray(stage.gate_closure_min[t], dtype=np.float64)


def assert_no_lookahead(
    stage: Stage,
    interval: int | npt.ArrayLike,
    info_time_min: npt.ArrayLike,
    what: str = "input",
) -> None:
    """Raise :class:`LookaheadError` if information time-stamped ``info_time_min`` (one per
    interval, e.g. when an activation was decided or a measurement taken) is later than the
    information cut-off of ``stage`` for ``interval``.

    The timeline calls this before a stage uses any earlier decision: an activation decided after
    a gate closure (e.g. in real time) can then never flow back into an earlier stage.
    """
    cut = information_cutoff(stage, interval)
    info = np.broadcast_to(np.asarray(info_time_min, dtype=np.float64), cut.shape)
    late = np.flatnonzero(np.atleast_1d(info > cut + 1e-9))
    if late.size:
        i = int(late[0])
        t_all = np.atleast_1d(np.asarray(interval))
        t_i = int(t_all[i] if t_all.size > 1 else t_all[0])
        raise LookaheadError(
            f"{what} time-stamped {np.atleast_1d(info)[i]:g} min is used for interval {t_i} at "
            f"stage {stage.name}, whose information cut-off is {np.atleast_1d(cut)[i]:g} min "
            f"({late.size} such use(s))",
            where=f"stage {stage.name}, interval {t_i}",
            fix="use only decisions and measurements available at the stage's gate closure",
        )
