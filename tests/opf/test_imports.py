"""The engine's import rules (issue 11): ``grid`` and ``opf`` never import ``coordination``,
``market``, ``simulation``, ``cli`` (or anything above them), no engine module imports a private
name (``_x``) from another module, and the engine's module-level imports have no cycle.

Static: every module is parsed (not imported), so lazy imports inside functions count for the
direction and private-name rules, and only module-level imports for cycles.
"""

from __future__ import annotations

import ast
from pathlib import Path

import tdcoord

ROOT = Path(tdcoord.__file__).parent
ENGINE = ("tdcoord.grid", "tdcoord.opf")
FORBIDDEN = (
    "tdcoord.coordination",
    "tdcoord.market",
    "tdcoord.simulation",
    "tdcoord.cli",
    "tdcoord.comparison",
    "tdcoord.settlement",
    "tdcoord.kpi",
    "tdcoord.report",
    "tdcoord.pipeline",
    "tdcoord.der",
)


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _is_engine(name: str) -> bool:
    return any(name == e or name.startswith(e + ".") for e in ENGINE)


def _imports(path: Path, *, top_level_only: bool) -> list[tuple[str, list[str], int]]:
    """(imported module, names, line) of every tdcoord import in ``path``."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    out = []
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tdcoord"):
            out.append((node.module, [a.name for a in node.names], node.lineno))
        elif isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names if a.name.startswith("tdcoord")]
    return out


def _target(module: str, name: str) -> str:
    """The module an import refers to (``from pkg import sub`` imports the submodule)."""
    return f"{module}.{name}" if f"{module}.{name}" in MODULES else module


def test_the_engine_never_imports_upward() -> None:
    bad = [
        f"{mod}:{line} imports {imp}"
        for mod, path in MODULES.items()
        if _is_engine(mod)
        for imp, _, line in _imports(path, top_level_only=False)
        if any(imp == f or imp.startswith(f + ".") for f in FORBIDDEN)
    ]
    assert not bad, "\n".join(bad)


def test_no_engine_module_imports_a_private_name() -> None:
    bad = [
        f"{mod}:{line} imports {name} from {imp}"
        for mod, path in MODULES.items()
        if _is_engine(mod)
        for imp, names, line in _imports(path, top_level_only=False)
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert not bad, "\n".join(bad)


def test_no_import_cycle_through_the_engine() -> None:
    graph: dict[str, set[str]] = {}
    for mod, path in MODULES.items():
        if not _is_engine(mod):
            continue
        deps = set()
        for imp, names, _ in _imports(path, top_level_only=True):
            targets = [_target(imp, n) for n in names] or [imp]
            deps |= {t for t in targets if _is_engine(t) and t != mod}
        graph[mod] = deps
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                return [*stack[stack.index(dep):], dep]
            if dep not in state and (cycle := visit(dep)) is not None:
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            assert cycle is None, " -> ".join(cycle)
