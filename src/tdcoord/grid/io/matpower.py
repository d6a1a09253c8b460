"""MATPOWER / PGLib-OPF ``.m`` case files, read with ``matpowercaseframes``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tdcoord.errors import SourceError
from tdcoord.grid.io.classify import model_from_tables
from tdcoord.grid.io.ppc import loads_from_bus_totals, tables_from_ppc
from tdcoord.grid.model import GridModel


def read_matpower(path: str | Path) -> GridModel:
    """Read a MATPOWER case file (``.m``). Bus ids are MATPOWER bus numbers; branches and
    generators are numbered from 1 in file order (out-of-service ones keep their number)."""
    from matpowercaseframes import CaseFrames

    path = Path(path)
    if not path.exists():
        raise SourceError(f"no such file: {path}", fix="check the path")
    try:
        cf = CaseFrames(str(path))
    except Exception as exc:  # the parser raises many types on malformed files
        raise SourceError(
            f"cannot parse MATPOWER file {path}: {exc}", fix="check the file"
        ) from exc
    try:
        gencost = cf.gencost.to_numpy(dtype=float) if hasattr(cf, "gencost") else None
        arrays = (
            float(cf.baseMVA),
            cf.bus.to_numpy(dtype=float),
            cf.branch.to_numpy(dtype=float),
            cf.gen.to_numpy(dtype=float) if hasattr(cf, "gen") else np.zeros((0, 10)),
        )
    except (ValueError, TypeError, AttributeError) as exc:
        raise SourceError(
            f"MATPOWER file {path} holds a non-numeric or missing matrix: {exc}",
            where=str(path),
            fix="every entry of mpc.bus, mpc.gen, mpc.branch and mpc.gencost must be a number",
        ) from exc
    tables = tables_from_ppc(*arrays, gencost)
    loads = loads_from_bus_totals(tables.buses.id, tables.bus_p_load_mw, tables.bus_q_load_mvar)
    name = path.stem.removeprefix("pglib_opf_")
    return model_from_tables(name, tables, loads)
