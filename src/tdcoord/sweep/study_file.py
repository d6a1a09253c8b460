"""Read a sweep's study file: the study itself and its ``uncertainty:`` section.

The study schema (:mod:`tdcoord.study`) forbids unknown keys, so the ``uncertainty:`` section is
taken out of the parsed YAML mapping here and validated on its own
(:class:`~tdcoord.sweep.uncertainty.UncertaintySpec`); the rest goes to the study's own
validation (:func:`tdcoord.study.validate_study`: schema and cross-field rules) as is. The file is
read like every study file (:func:`tdcoord.yaml_input.load_yaml_file`: duplicated keys are
errors). One small function, to be folded into the study schema once it owns the section.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tdcoord.errors import StudyError, raise_issues
from tdcoord.study import DEFAULT_STUDY, Study
from tdcoord.study import validate_study as validate_study_data
from tdcoord.sweep.uncertainty import UncertaintySpec
from tdcoord.yaml_input import load_yaml_file


@dataclasses.dataclass(frozen=True)
class SweepStudy:
    """A study file read for a sweep: the raw mapping (without ``uncertainty``), the validated
    study and its uncertainty section (empty when the file has none: every sample is the study)."""

    path: Path
    raw: dict[str, Any]
    study: Study
    uncertainty: UncertaintySpec


def validate_study(mapping: dict[str, Any], path: Path) -> Study:
    """``mapping`` as a :class:`Study`, or a :class:`StudyError` listing what is wrong."""
    return validate_study_data(mapping, path.name)


def _uncertainty(section: Any, path: Path) -> UncertaintySpec:
    try:
        return UncertaintySpec.model_validate(section)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        where = f"uncertainty.{loc}" if loc else "uncertainty"
        raise StudyError(
            f"{path.name}: {first['msg']}", where=where, fix="see docs/sweep.md for the format"
        ) from exc


def load_sweep_study(path: str | Path | None = None) -> SweepStudy:
    """Read a study file with an optional ``uncertainty:`` section (default: the bundled study)."""
    p = Path(path) if path is not None else DEFAULT_STUDY
    data, duplicates = load_yaml_file(p, StudyError, "study file")
    raise_issues(StudyError, p.name, duplicates)
    if not isinstance(data, dict):
        raise StudyError(f"{p} is not a mapping", fix="see docs/study.md for the format")
    raw = dict(data)
    unc = _uncertainty(raw.pop("uncertainty", None) or {}, p)
    return SweepStudy(p, raw, validate_study(raw, p), unc)
