"""Read a sweep's study file: the study itself and its ``uncertainty:`` section.

The study schema (:class:`tdcoord.study.Study`) forbids unknown keys, so the ``uncertainty:``
section is taken out of the raw YAML mapping here and validated on its own
(:class:`~tdcoord.sweep.uncertainty.UncertaintySpec`); the rest goes to the study schema as is.
One small function, to be folded into the study schema once it owns the section.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tdcoord.errors import StudyError
from tdcoord.study import DEFAULT_STUDY, Study
from tdcoord.sweep.uncertainty import UncertaintySpec


@dataclasses.dataclass(frozen=True)
class SweepStudy:
    """A study file read for a sweep: the raw mapping (without ``uncertainty``), the validated
    study and its uncertainty section (empty when the file has none: every sample is the study)."""

    path: Path
    raw: dict[str, Any]
    study: Study
    uncertainty: UncertaintySpec


def _validation_error(path: Path, section: str, exc: ValidationError) -> StudyError:
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    where = f"{section}.{loc}" if section and loc else section or loc
    return StudyError(
        f"{path.name}: {first['msg']}", where=where, fix="see docs/sweep.md for the format"
    )


def validate_study(mapping: dict[str, Any], path: Path) -> Study:
    """``mapping`` as a :class:`Study`, or a :class:`StudyError` saying where it is wrong."""
    try:
        return Study.model_validate(mapping)
    except ValidationError as exc:
        raise _validation_error(path, "", exc) from exc


def load_sweep_study(path: str | Path | None = None) -> SweepStudy:
    """Read a study file with an optional ``uncertainty:`` section (default: the bundled study)."""
    p = Path(path) if path is not None else DEFAULT_STUDY
    if not p.exists():
        raise StudyError(f"no such study file: {p}", fix="check the path")
    try:
        data = yaml.safe_load(p.read_text())
    except yaml.YAMLError as exc:
        raise StudyError(f"{p} is not valid YAML: {exc}", fix="fix the YAML syntax") from exc
    if not isinstance(data, dict):
        raise StudyError(f"{p} is not a mapping", fix="see docs/study.md for the format")
    raw = dict(data)
    section = raw.pop("uncertainty", None) or {}
    try:
        unc = UncertaintySpec.model_validate(section)
    except ValidationError as exc:
        raise _validation_error(p, "uncertainty", exc) from exc
    return SweepStudy(p, raw, validate_study(raw, p), unc)
