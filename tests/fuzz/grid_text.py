"""A tiny valid MATPOWER case (3 buses, 2 generators, a meshed triangle) as arrays and text, the
base that the grid-file corpus mutates field by field."""

from __future__ import annotations

BUS: list[list[object]] = [
    [1, 3, 0, 0, 0, 0, 1, 1, 0, 230, 1, 1.1, 0.9],
    [2, 1, 100, 20, 0, 0, 1, 1, 0, 230, 1, 1.1, 0.9],
    [3, 2, 50, 10, 0, 0, 1, 1, 0, 230, 1, 1.1, 0.9],
]
GEN: list[list[object]] = [
    [1, 0, 0, 100, -100, 1, 100, 1, 300, 0],
    [3, 0, 0, 100, -100, 1, 100, 1, 200, 0],
]
BRANCH: list[list[object]] = [
    [1, 2, 0.01, 0.1, 0.02, 250, 250, 250, 0, 0, 1, -360, 360],
    [1, 3, 0.01, 0.1, 0.02, 250, 250, 250, 0, 0, 1, -360, 360],
    [2, 3, 0.01, 0.1, 0.02, 250, 250, 250, 0, 0, 1, -360, 360],
]
GENCOST: list[list[object]] = [
    [2, 0, 0, 3, 0, 10, 0],
    [2, 0, 0, 3, 0, 20, 0],
]


def matrix(rows: list[list[object]]) -> str:
    """MATPOWER matrix body."""
    return "\n".join("\t" + "\t".join(str(v) for v in row) + ";" for row in rows)


def case_text(
    bus: list[list[object]] | None = None,
    gen: list[list[object]] | None = None,
    branch: list[list[object]] | None = None,
    gencost: list[list[object]] | None = None,
    base_mva: object = 100,
) -> str:
    """The case as ``.m`` text (defaults: the valid tiny case)."""
    parts = [
        "function mpc = tiny3",
        "mpc.version = '2';",
        f"mpc.baseMVA = {base_mva};",
        "mpc.bus = [",
        matrix(bus if bus is not None else BUS),
        "];",
        "mpc.gen = [",
        matrix(gen if gen is not None else GEN),
        "];",
        "mpc.branch = [",
        matrix(branch if branch is not None else BRANCH),
        "];",
        "mpc.gencost = [",
        matrix(gencost if gencost is not None else GENCOST),
        "];",
    ]
    return "\n".join(parts) + "\n"


def with_value(rows: list[list[object]], row: int, col: int, value: object) -> list[list[object]]:
    """A copy of ``rows`` with one value replaced."""
    out = [list(r) for r in rows]
    out[row][col] = value
    return out
