"""Read a study file: every problem is found and listed in one :class:`StudyError`.

Order: the file is read as UTF-8 text (a missing path, a folder or a binary file is an error),
parsed as YAML with ``safe_load`` semantics where a duplicated key is an error
(:mod:`tdcoord.yaml_input`), validated by the schema (:mod:`tdcoord.study.schema`: every field
error is collected) and then by the cross-field rules (:mod:`tdcoord.study.checks`). Nothing is
built or solved before all of that passes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tdcoord.errors import Issue, StudyError, raise_issues
from tdcoord.study.schema import DEFAULT_STUDY, Study
from tdcoord.yaml_input import load_yaml_file

FIX = "see docs/study.md for the format"


def _schema_issues(exc: ValidationError) -> list[Issue]:
    out = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "study"
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = f"unknown key {str(err['loc'][-1])!r}"
        elif err["type"] == "missing":
            msg = "required key is missing"
        out.append(Issue(where, msg, FIX))
    return out


def validate_study(data: Any, name: str = "study") -> Study:
    """Validate parsed study data; raise one :class:`StudyError` listing every problem."""
    if not isinstance(data, dict):
        raise StudyError(
            f"{name} must hold a mapping (name:, grid:, …), not {type(data).__name__}", fix=FIX
        )
    try:
        study = Study.model_validate(data)
    except ValidationError as exc:
        raise_issues(StudyError, name, _schema_issues(exc))
        raise  # pragma: no cover - raise_issues always raises on a non-empty list
    from tdcoord.study.checks import study_issues

    raise_issues(StudyError, name, study_issues(study))
    return study


def load_study(path: str | Path | None = None) -> Study:
    """Read and validate a study file (the bundled default when ``path`` is None)."""
    path = Path(path) if path is not None else DEFAULT_STUDY
    data, duplicates = load_yaml_file(path, StudyError, "study file")
    raise_issues(StudyError, path.name, duplicates)
    return validate_study(data, path.name)
