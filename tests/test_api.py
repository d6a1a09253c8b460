"""The Python API: ``import tdcoord`` is lazy, and the notebook example of docs/python.md runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import tdcoord

ROOT = Path(__file__).resolve().parents[1]


def test_import_tdcoord_loads_no_heavy_module() -> None:
    code = "import sys, tdcoord; print(sorted(m for m in ('numpy', 'pandas', 'highspy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_names() -> None:
    for name in tdcoord.__all__:
        assert getattr(tdcoord, name) is not None
    assert "compare" in dir(tdcoord)
    assert "eu.central" in tdcoord.catalogue().ids
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        tdcoord.nope  # noqa: B018


def test_notebook_example_of_docs_python_md(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / "docs" / "python.md").read_text()
    block = re.search(r"## A comparison in a notebook\s+```python\n(.*?)```", text, re.S)
    assert block is not None
    code = block.group(1)
    assert len(code.strip().splitlines()) == 5
    monkeypatch.chdir(ROOT)
    scope: dict[str, object] = {}
    exec(compile(code, "docs/python.md", "exec"), scope)
    kpis = scope["kpis"]
    assert isinstance(kpis, pd.DataFrame)
    assert kpis["model_id"].tolist() == ["eu.central", "eu.local"]
    assert (kpis["total_cost"] > 0).all()
