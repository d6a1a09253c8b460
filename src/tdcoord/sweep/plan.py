"""The plan of a sweep: which (sample, day) groups, with which draws and study, for which models.

A **group** is one (sample, day): its draws (:func:`tdcoord.sweep.uncertainty.draw_sample`), its
simulation seed and its concrete study (:mod:`tdcoord.sweep.sample_study`). The shared day of a
group is built once and every model of the sweep runs on it: one task per (model, sample, day).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from tdcoord.errors import StudyError
from tdcoord.provenance import input_hash
from tdcoord.sweep.sample_study import SampleStudy, sample_study
from tdcoord.sweep.study_file import SweepStudy
from tdcoord.sweep.sweep_day import SweepDay
from tdcoord.sweep.uncertainty import MAX_SAMPLES, draw_sample, simulation_seed


@dataclasses.dataclass(frozen=True)
class Group:
    """One (sample, day) of a sweep."""

    sample: int
    day: SweepDay
    draws: dict[str, Any]
    sim_seed: int
    study: SampleStudy

    @property
    def key(self) -> str:
        """Stable name of the group (file names, shared-object keys)."""
        return f"s{self.sample}_{self.day.date.isoformat()}"


@dataclasses.dataclass(frozen=True)
class SweepPlan:
    """Everything a sweep runs: models × groups."""

    source: SweepStudy
    models: tuple[str, ...]
    samples: int
    days: tuple[SweepDay, ...]
    groups: tuple[Group, ...]

    def study_sha256(self) -> str:
        """Hash of the study and its uncertainty section (what the rows depend on)."""
        return input_hash(self.source.raw, self.source.uncertainty.model_dump(mode="json"))

    def manifest(self) -> dict[str, Any]:
        """What identifies the rows of this sweep (checked by ``--resume``)."""
        return {
            "study": self.source.study.name,
            "study_sha256": self.study_sha256(),
            "days": [[d.date.isoformat(), d.weight_days] for d in self.days],
        }


def check_samples(samples: int) -> int:
    """``samples`` as a count in ``1..MAX_SAMPLES``, or a clear error."""
    if int(samples) != samples or not 1 <= samples <= MAX_SAMPLES:
        raise StudyError(
            f"samples = {samples!r}",
            where="sweep --samples / uncertainty.samples",
            fix=f"give a whole number in 1..{MAX_SAMPLES}",
        )
    return int(samples)


def draws_json(draws: dict[str, Any]) -> dict[str, Any]:
    """The draws as table columns: ``draw_<quantity>``; events as a count and a JSON list."""
    out: dict[str, Any] = {}
    for q, v in draws.items():
        if q == "events":
            out["draw_events_count"] = len(v)
            out["draw_events"] = json.dumps(v, sort_keys=True, separators=(",", ":"))
        else:
            out[f"draw_{q}"] = float(v)
    return out


def make_plan(
    source: SweepStudy, models: tuple[str, ...], samples: int, days: tuple[SweepDay, ...]
) -> SweepPlan:
    """Draw every sample and build (and validate) every group's study, before any solver runs."""
    samples = check_samples(samples)
    if not models:
        raise StudyError("no model to run", where="sweep --models", fix="name at least one")
    study = source.study
    seed = study.compare.seed
    groups: list[Group] = []
    for k in range(samples):
        draws = draw_sample(
            source.uncertainty, seed, k, list(study.compare.events), study.fleet.n_intervals
        )
        for day in days:
            sim_seed = simulation_seed(seed, k, day.date.toordinal())
            s = sample_study(source.raw, study, draws, day, sim_seed, source.path)
            groups.append(Group(k, day, draws, sim_seed, s))
    return SweepPlan(source, models, samples, days, tuple(groups))
