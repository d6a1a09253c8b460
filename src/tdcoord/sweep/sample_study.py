"""The concrete study of one (sample, day): the study with the sample's draws applied.

Written as a plain study file (``samples/s<k>_<date>.yaml`` in the sweep folder), so that
``tdcoord compare`` on it reproduces the sweep's numbers for that sample and day. Draws map to
existing study fields (:mod:`tdcoord.sweep.uncertainty` lists which).
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import yaml

from tdcoord.errors import StudyError
from tdcoord.study import Study
from tdcoord.sweep.study_file import validate_study
from tdcoord.sweep.sweep_day import SweepDay


@dataclasses.dataclass(frozen=True)
class SampleStudy:
    """The study of one (sample, day): its mapping (as written) and the validated study."""

    mapping: dict[str, Any]
    study: Study


def _apply_markup(market: dict[str, Any], markup: float) -> None:
    strategy = market.get("strategy", "cost_based")
    params = dict(market.get("strategy_params") or {})
    if strategy not in ("cost_based", "markup"):
        raise StudyError(
            f"uncertainty.offer_markup needs a cost_based or markup strategy, not {strategy!r}",
            where="uncertainty.offer_markup",
            fix="remove offer_markup or use market.strategy: cost_based",
        )
    spread = float(params.get("spread", 0.0))
    params["markup"] = max(markup, spread)
    market["strategy"] = "markup"
    market["strategy_params"] = params


def concrete_mapping(
    raw: dict[str, Any], study: Study, draws: dict[str, Any], day: SweepDay, sim_seed: int
) -> dict[str, Any]:
    """The study mapping of (sample, day): ``raw`` with the draws, season and seed applied."""
    m = copy.deepcopy(raw)
    fleet = m.setdefault("fleet", {})
    fleet["season"] = day.season
    if day.profiled:
        fleet["date"] = day.date.isoformat()
    compare = m.setdefault("compare", {})
    compare["seed"] = sim_seed
    if "forecast_error_scale" in draws:
        compare["forecast_error_scale"] = float(draws["forecast_error_scale"])
    if "non_delivery_probability" in draws:
        compare["non_delivery_probability"] = float(draws["non_delivery_probability"])
    if "der_penetration_scale" in draws:
        f = float(draws["der_penetration_scale"])
        shares = study.fleet.effective_shares()
        fleet["shares"] = {t: min(1.0, s * f) for t, s in sorted(shares.items())}
    if "offer_markup" in draws:
        _apply_markup(m.setdefault("market", {}), float(draws["offer_markup"]))
    if "penalty_scale" in draws:
        f = float(draws["penalty_scale"])
        penalties = study.compare.penalties.model_dump()
        compare["penalties"] = {k: float(v) * f for k, v in penalties.items()}
    if "events" in draws:
        compare["events"] = copy.deepcopy(draws["events"])
    return m


def sample_study(
    raw: dict[str, Any],
    study: Study,
    draws: dict[str, Any],
    day: SweepDay,
    sim_seed: int,
    path: Path,
) -> SampleStudy:
    """The validated :class:`SampleStudy` of (sample, day) (errors name ``path``)."""
    m = concrete_mapping(raw, study, draws, day, sim_seed)
    return SampleStudy(m, validate_study(m, path))


def write_sample_study(s: SampleStudy, path: Path, header: str) -> Path:
    """Write the study of (sample, day) as YAML; ``header`` becomes its leading comment."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    text = "\n".join(lines) + "\n" + yaml.safe_dump(s.mapping, sort_keys=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return path
