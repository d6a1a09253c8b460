"""Hypothesis: valid study data and grid data mutated field by field are either still valid or
rejected with a tdcoord error (never another exception, never a non-finite number accepted)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tdcoord.errors import TdcoordError
from tests.fuzz.corpus import STUDY_BASE
from tests.fuzz.grid_text import BRANCH, BUS, GEN, GENCOST

BAD_VALUES = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf, -1, 0, 10**20, -(10**20), 1e308, "", "x"]),
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def leaves(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a leaf (and to every list/dict) of nested data."""
    out = [path] if path else []
    if isinstance(data, dict):
        for k, v in data.items():
            out += leaves(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += leaves(v, (*path, i))
    return out


def replaced(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A copy of ``data`` with the value at ``path`` replaced."""
    if not path:
        return value
    copy = dict(data) if isinstance(data, dict) else list(data)
    copy[path[0]] = replaced(data[path[0]], path[1:], value)
    return copy


STUDY = yaml.safe_load(STUDY_BASE)
STUDY_PATHS = leaves(STUDY)


def all_finite(value: Any) -> bool:
    """No NaN or infinity anywhere in nested data."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(all_finite(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(all_finite(v) for v in value)
    return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(STUDY_PATHS), value=BAD_VALUES)
def test_study_mutation_is_valid_or_a_study_error(path: tuple[Any, ...], value: Any) -> None:
    from tdcoord.study import validate_study

    data = replaced(STUDY, path, value)
    try:
        study = validate_study(data, "mutated")
    except TdcoordError:
        return
    assert all_finite(study.model_dump())


ARRAYS = {"bus": BUS, "gen": GEN, "branch": BRANCH, "gencost": GENCOST}
CELLS = [
    (name, r, c)
    for name, rows in ARRAYS.items()
    for r in range(len(rows))
    for c in range(len(rows[r]))
]
NUMBERS = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -1.0, 1e9, 2.0, 0.5, 99.0]),
    st.floats(allow_nan=True, allow_infinity=True),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cell=st.sampled_from(CELLS), value=NUMBERS)
def test_grid_mutation_is_valid_or_a_grid_error(cell: tuple[str, int, int], value: float) -> None:
    from tdcoord.grid.io.classify import model_from_tables
    from tdcoord.grid.io.ppc import loads_from_bus_totals, tables_from_ppc

    name, r, c = cell
    arrays = {k: np.array(v, dtype=float) for k, v in ARRAYS.items()}
    arrays[name][r, c] = value
    try:
        tables = tables_from_ppc(
            100.0, arrays["bus"], arrays["branch"], arrays["gen"], arrays["gencost"]
        )
        loads = loads_from_bus_totals(tables.buses.id, tables.bus_p_load_mw, tables.bus_q_load_mvar)
        model = model_from_tables("mutated", tables, loads)
    except TdcoordError:
        return
    t = model.transmission
    if t is not None:
        gen = t.generators
        for col in ("cost_c0_per_h", "cost_c1_per_mwh", "cost_c2_per_mw2h"):
            assert np.isfinite(gen.column(col)).all()
        assert not np.isnan(t.branches.rating_mva).any()
        assert (t.branches.rating_mva > 0).all()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_native_mutation_is_valid_or_a_source_error(data: st.DataObject) -> None:
    from tdcoord.grid.io.native import from_dict

    base = _native()
    path = data.draw(st.sampled_from(leaves(base)))
    value = data.draw(BAD_VALUES)
    try:
        from_dict(replaced(base, path, value))
    except (TdcoordError, KeyError, TypeError, ValueError, IndexError, AttributeError):
        return  # from_dict raises these on malformed data; read_grid maps them to SourceError


_CACHE: dict[str, Any] = {}


def _native() -> Any:
    from tests.fuzz.make_data import native_base

    if "native" not in _CACHE:
        _CACHE["native"] = native_base()
    return _CACHE["native"]
