"""The import graph of the flow packages: no cycles, no private names across modules, and the
allowed directions of docs/architecture.md (function-level imports count too)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

#: Packages whose modules must be free of cycles and private cross-module imports.
CHECKED = (
    "tdcoord.pipeline",
    "tdcoord.coordination",
    "tdcoord.simulation",
    "tdcoord.settlement",
    "tdcoord.kpi",
    "tdcoord.market",
    "tdcoord.report",
    "tdcoord.comparison",
    "tdcoord.api",
)

#: Package → packages it must never import (docs/architecture.md, "Allowed directions").
FORBIDDEN = {
    "tdcoord.grid": ("tdcoord.coordination", "tdcoord.market", "tdcoord.simulation",
                     "tdcoord.cli", "tdcoord.pipeline"),
    "tdcoord.opf": ("tdcoord.coordination", "tdcoord.market", "tdcoord.simulation",
                    "tdcoord.cli", "tdcoord.pipeline"),
    "tdcoord.report": ("tdcoord.opf", "tdcoord.coordination", "tdcoord.simulation",
                       "tdcoord.pipeline", "tdcoord.settlement", "tdcoord.grid"),
    "tdcoord.pipeline": ("tdcoord.cli", "tdcoord.comparison", "tdcoord.sweep",
                         "tdcoord.service"),
    "tdcoord.coordination": ("tdcoord.pipeline", "tdcoord.comparison", "tdcoord.cli"),
    "tdcoord.simulation": ("tdcoord.pipeline", "tdcoord.comparison", "tdcoord.cli"),
    "tdcoord.kpi": ("tdcoord.pipeline", "tdcoord.comparison", "tdcoord.cli"),
    "tdcoord.settlement": ("tdcoord.pipeline", "tdcoord.comparison", "tdcoord.cli"),
}


def _modules() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for f in (SRC / "tdcoord").rglob("*.py"):
        parts = f.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = f
    return out


MODULES = _modules()


def _imports(path: Path) -> Iterator[tuple[str, str | None]]:
    """``(module, imported name or None)`` of every tdcoord import in ``path``."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tdcoord"):
            for alias in node.names:
                yield node.module, alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("tdcoord"):
                    yield alias.name, None


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {m: set() for m in MODULES}
    for m, path in MODULES.items():
        for target, name in _imports(path):
            full = f"{target}.{name}" if name else target
            edges[m].add(full if full in MODULES else target)
    return edges


def _cycle_from(start: str, edges: dict[str, set[str]]) -> list[str] | None:
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for nxt in sorted(edges.get(node, ())):
            if nxt == start:
                return [*path, start]
            if nxt not in seen and any(_in(nxt, p) for p in CHECKED):
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


@pytest.mark.parametrize("package", CHECKED)
def test_no_import_cycle(package: str) -> None:
    edges = _edges()
    for m in sorted(MODULES):
        if _in(m, package):
            cycle = _cycle_from(m, edges)
            assert cycle is None, f"import cycle: {' -> '.join(cycle or [])}"


@pytest.mark.parametrize("package", CHECKED)
def test_no_private_name_across_modules(package: str) -> None:
    bad = [
        f"{m} imports {name} from {target}"
        for m, path in MODULES.items()
        if _in(m, package)
        for target, name in _imports(path)
        if name and name.startswith("_") and not name.startswith("__") and target != m
    ]
    assert not bad, "; ".join(bad)


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_allowed_directions(package: str) -> None:
    bad = [
        f"{m} imports {target}"
        for m, path in MODULES.items()
        if _in(m, package)
        for target, _ in _imports(path)
        if any(_in(target, f) for f in FORBIDDEN[package])
    ]
    assert not bad, "; ".join(bad)
