"""The package's architecture, enforced: no private names across modules, no import cycles, and
the allowed directions between packages (docs/architecture.md, "Allowed directions").

Walks the source with :mod:`ast` only (nothing is imported), so it is fast and sees lazy imports
inside functions too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "tdcoord"

# Private attributes of third-party objects that have no public equivalent, with the reason.
THIRD_PARTY_PRIVATE = {
    "_pd2ppc_lookups": "pandapower's bus lookup of the last power flow; no public accessor exists",
}

# package -> packages it must never import (directly or lazily). "report" solves nothing.
FORBIDDEN = {
    "grid": ("coordination", "market", "simulation", "cli", "comparison", "pipeline", "service",
             "settlement", "report", "kpi", "opf", "sweep"),
    "opf": ("coordination", "market", "simulation", "cli", "comparison", "pipeline", "service",
            "settlement", "report", "kpi", "sweep"),
    "report": ("opf", "coordination", "simulation", "pipeline", "comparison", "cli", "service",
               "settlement", "grid", "sweep"),
    "kpi": ("cli", "comparison", "service", "report", "pipeline", "sweep"),
    "settlement": ("cli", "comparison", "service", "report", "simulation", "pipeline", "sweep"),
    "der": ("coordination", "simulation", "cli", "comparison", "service", "report", "pipeline",
            "sweep"),
    "market": ("coordination", "simulation", "cli", "comparison", "service", "report", "pipeline",
               "sweep"),
    "coordination": ("simulation", "cli", "comparison", "service", "report", "settlement",
                     "pipeline", "sweep"),
    "simulation": ("cli", "comparison", "service", "report", "pipeline", "sweep"),
    "pipeline": ("cli", "comparison", "service", "sweep"),
}
SOLVER_LIBRARIES = ("highspy", "clarabel")


@dataclass(frozen=True)
class ImportEdge:
    """One import statement: who imports what, where, and whether at module level."""

    module: str
    target: str
    names: tuple[str, ...]
    line: int
    top_level: bool
    type_checking: bool


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def source_files() -> list[Path]:
    return sorted((SRC / PACKAGE).rglob("*.py"))


def resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    keep = len(base) - node.level + (1 if is_package else 0)
    prefix = ".".join(base[:keep])
    return f"{prefix}.{node.module}" if node.module else prefix


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def edges_of(path: Path) -> Iterator[ImportEdge]:
    module = module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"

    def walk(nodes: list[ast.stmt], top: bool, tc: bool) -> Iterator[ImportEdge]:
        for node in nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield ImportEdge(module, alias.name, (), node.lineno, top, tc)
            elif isinstance(node, ast.ImportFrom):
                target = resolve(module, node, is_package)
                names = tuple(a.name for a in node.names)
                yield ImportEdge(module, target, names, node.lineno, top, tc)
            elif isinstance(node, ast.If):
                inner_tc = tc or _is_type_checking(node)
                yield from walk(node.body, top, inner_tc)
                yield from walk(node.orelse, top, tc)
            elif isinstance(node, ast.Try):
                for block in (node.body, node.orelse, node.finalbody):
                    yield from walk(block, top, tc)
                for handler in node.handlers:
                    yield from walk(handler.body, top, tc)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                yield from walk(node.body, False if not isinstance(node, ast.ClassDef) else top, tc)
            elif isinstance(node, (ast.With, ast.For, ast.While)):
                yield from walk(node.body, top, tc)

    yield from walk(tree.body, True, False)


ALL_EDGES = [edge for path in source_files() for edge in edges_of(path)]
MODULES = {module_name(p) for p in source_files()}


def top_package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_the_walk_sees_the_package() -> None:
    assert "tdcoord.grid.model" in MODULES
    assert any(e.target.startswith("tdcoord.") for e in ALL_EDGES)


def test_no_private_name_is_imported_across_modules() -> None:
    bad = [
        f"{e.module}:{e.line} imports {e.target}.{name}"
        for e in ALL_EDGES
        if e.target.startswith(PACKAGE)
        for name in e.names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert not bad, "make these names public or move them:\n" + "\n".join(bad)


def private_attribute_uses(path: Path) -> Iterator[str]:
    """``x._name`` where ``x`` is not ``self``/``cls``: reaching into another object's privates."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        attr = node.attr
        if not attr.startswith("_") or attr.startswith("__") or attr in THIRD_PARTY_PRIVATE:
            continue
        base = node.value
        if isinstance(base, ast.Name) and base.id in ("self", "cls"):
            continue
        yield f"{module_name(path)}:{node.lineno} reads .{attr}"


def test_no_private_attribute_of_another_object_is_read() -> None:
    bad = [use for path in source_files() for use in private_attribute_uses(path)]
    assert not bad, "use a public accessor instead:\n" + "\n".join(bad)


def parent_packages(target: str) -> set[str]:
    """Importing ``a.b.c`` runs ``a.b``'s ``__init__`` first (the root package excepted)."""
    parts = target.split(".")
    return {".".join(parts[:k]) for k in range(2, len(parts))}


def module_graph() -> dict[str, set[str]]:
    """Edges between tdcoord modules, lazy imports inside functions included (a lazy import only
    hides a cycle), TYPE_CHECKING blocks excluded."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for e in ALL_EDGES:
        if e.type_checking or not e.target.startswith(PACKAGE):
            continue
        # ``from pkg import sub`` depends on the submodule, ``from pkg import name`` on the package.
        targets = {f"{e.target}.{n}" if f"{e.target}.{n}" in MODULES else e.target for n in e.names}
        targets = targets or {e.target}
        # A module's own ancestor packages are initialised before it: not an edge.
        own = parent_packages(e.module) | {e.module.rsplit(".", 1)[0]}
        targets |= {p for t in targets for p in parent_packages(t)} - own
        graph[e.module] |= {t for t in targets if t in MODULES and t != e.module}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycles() -> None:
    graph = module_graph()
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_find_cycle_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_allowed_directions(package: str) -> None:
    forbidden = tuple(f"{PACKAGE}.{p}" for p in FORBIDDEN[package])
    bad = [
        f"{e.module}:{e.line} imports {e.target}"
        for e in ALL_EDGES
        if top_package(e.module) == package
        and any(e.target == f or e.target.startswith(f + ".") for f in forbidden)
    ]
    assert not bad, f"{package} must not import {FORBIDDEN[package]}:\n" + "\n".join(bad)


def test_report_imports_no_solver() -> None:
    bad = [
        f"{e.module}:{e.line} imports {e.target}"
        for e in ALL_EDGES
        if top_package(e.module) == "report" and e.target.split(".")[0] in SOLVER_LIBRARIES
    ]
    assert not bad
