"""Provenance of a result: what produced it (tdcoord, solvers, Python) and from which inputs.

Every written result (``kpis.json``, the report) carries this record so that a number can be
traced to the code and the inputs that produced it (architecture conventions, "Provenance").
"""

from __future__ import annotations

import hashlib
import json
import platform
from importlib import metadata
from typing import Any

#: Packages whose versions change numbers: the solvers and the power-flow engine.
_PACKAGES = ("highspy", "clarabel", "pandapower", "numpy", "scipy", "pandas")


def package_versions() -> dict[str, str]:
    """Installed versions of tdcoord and the packages that change numbers."""
    out = {"python": platform.python_version()}
    for name in ("tdcoord", *_PACKAGES):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def input_hash(*parts: Any) -> str:
    """SHA-256 of the canonical JSON of the inputs (sorted keys; anything else via ``str``)."""
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def provenance(*inputs: Any) -> dict[str, Any]:
    """The provenance record: versions and the hash of ``inputs``."""
    return {"versions": package_versions(), "input_sha256": input_hash(*inputs)}
