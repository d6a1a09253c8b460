"""tdcoord: TSO–DSO coordination of distributed energy resources.

The Python API (``docs/python.md``)::

    import tdcoord
    study = tdcoord.load_study("study.yaml")
    result = tdcoord.compare(study, ["eu.central", "eu.local"])
    result.kpi_frame()                      # one row of KPIs per model

Names are imported on first use (module ``__getattr__``), so ``import tdcoord`` stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tdcoord.api import catalogue, compare, load_study, run_model
    from tdcoord.comparison.run import Comparison
    from tdcoord.coordination.catalogue import Catalogue, ModelEntry
    from tdcoord.coordination.outcome import Outcome
    from tdcoord.pipeline import ModelRun, SharedDay, StageResult
    from tdcoord.study import Study

#: Public name → module that defines it (imported lazily by :func:`__getattr__`).
_LAZY: dict[str, str] = {
    "load_study": "tdcoord.api",
    "run_model": "tdcoord.api",
    "compare": "tdcoord.api",
    "catalogue": "tdcoord.api",
    "Study": "tdcoord.study",
    "Comparison": "tdcoord.comparison.run",
    "ModelRun": "tdcoord.pipeline",
    "SharedDay": "tdcoord.pipeline",
    "StageResult": "tdcoord.pipeline",
    "Outcome": "tdcoord.coordination.outcome",
    "Catalogue": "tdcoord.coordination.catalogue",
    "ModelEntry": "tdcoord.coordination.catalogue",
}

__all__ = [
    "Catalogue",
    "Comparison",
    "ModelEntry",
    "ModelRun",
    "Outcome",
    "SharedDay",
    "StageResult",
    "Study",
    "__version__",
    "catalogue",
    "compare",
    "load_study",
    "run_model",
]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tdcoord")
    except PackageNotFoundError:  # pragma: no cover - a source tree without install
        return "0.0.0"


def __getattr__(name: str) -> Any:
    """Import a public name of the API (or read the version) on first use."""
    if name == "__version__":
        value: Any = _version()
        globals()[name] = value
        return value
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tdcoord' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
