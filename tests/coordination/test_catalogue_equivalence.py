"""Declared equivalences in the catalogue: ``equivalent_to`` ids exist, are symmetric, carry a
one-line ``equivalence_reason``; ``tdcoord models`` shows them. Issue 13 item 3: the declared
groups are exactly the models that run the same clearing (same scheme, same effective
parameters, ``operator`` aside), and declared models have identical outcomes."""

from __future__ import annotations

import dataclasses
import importlib
import itertools
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from tdcoord.cli import app
from tdcoord.coordination.catalogue import (
    CatalogueError,
    ModelEntry,
    list_models,
    load_catalogue,
)
from tdcoord.coordination.schemes import run_scheme
from tdcoord.coordination.validation import validate_outcome
from tdcoord.kpi.metrics import compute_kpis
from tests.coordination.cases import designed_case
from tests.coordination.test_catalogue import entry, write

runner = CliRunner()


def test_symmetric_pair_loads(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            entry(id="my.a", equivalent_to=["my.b"], equivalence_reason="same mechanism"),
            entry(id="my.b", equivalent_to=["my.a"], equivalence_reason="same mechanism"),
        ],
    )
    cat = load_catalogue(path, include_builtin=False)
    assert cat.get("my.a").equivalent_to == ("my.b",)
    assert cat.get("my.b").to_dict()["equivalence_reason"] == "same mechanism"


@pytest.mark.parametrize(
    ("entries", "match"),
    [
        ([entry(id="my.a", equivalent_to=["my.zz"], equivalence_reason="r")], "unknown model"),
        (
            [
                entry(id="my.a", equivalent_to=["my.b"], equivalence_reason="r"),
                entry(id="my.b"),
            ],
            "not symmetric",
        ),
        ([entry(id="my.a", equivalent_to=["my.b"])], "one-line equivalence_reason"),
        ([entry(id="my.a", equivalence_reason="r")], "equivalent_to is empty"),
        ([entry(id="my.a", equivalent_to=["my.a"], equivalence_reason="r")], "itself"),
        (
            [entry(id="my.a", equivalent_to=["my.b"], equivalence_reason="two\nlines")],
            "one-line",
        ),
    ],
)
def test_bad_equivalences(tmp_path: Path, entries: list[dict[str, object]], match: str) -> None:
    with pytest.raises(CatalogueError, match=match):
        load_catalogue(write(tmp_path, entries), include_builtin=False)


def test_builtin_equivalences_are_valid_and_shown() -> None:
    models = {m.id: m for m in list_models()}
    for m in models.values():
        for other in m.equivalent_to:
            assert m.id in models[other].equivalent_to
            assert m.equivalence_reason == models[other].equivalence_reason
    data = json.loads(runner.invoke(app, ["models", "--json"]).stdout)
    assert all("equivalent_to" in d and "equivalence_reason" in d for d in data)
    declared = [m for m in models.values() if m.equivalent_to]
    if declared:
        out = runner.invoke(app, ["models"]).output
        assert "equivalent:" in out


def clearing_key(m: ModelEntry) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """What decides a model's clearing: its scheme and effective parameters (the scheme's
    defaults overridden by the entry's), without ``operator`` (who runs the market, which
    changes only who receives messages)."""
    defaults = importlib.import_module(f"tdcoord.coordination.schemes.{m.scheme}").DEFAULTS
    params = {**defaults, **m.params.as_dict()}
    params.pop("operator", None)
    return m.scheme, tuple(sorted(params.items()))


def test_declared_groups_are_exactly_the_models_with_the_same_clearing() -> None:
    models = list_models()
    for a, b in itertools.combinations(models, 2):
        same = clearing_key(a) == clearing_key(b)
        assert same == (b.id in a.equivalent_to), (a.id, b.id, clearing_key(a), clearing_key(b))


#: The outcome of a model: every cost, volume and violation KPI (messages, bytes and compute
#: time differ by design between models that decide the same).
OUTCOME_KPIS = (
    "total_cost", "procurement_cost", "tso_cost", "dso_cost", "unresolved_violations",
    "unresolved_overload_mwh", "unresolved_voltage_pu_h", "energy_not_served_mwh",
    "curtailment_mwh", "activated_up_mwh", "activated_down_mwh", "double_activations",
    "counter_activations", "interface_deviation_mwh",
)


@pytest.fixture(scope="module")
def designed_outcomes() -> dict[str, dict[str, Any]]:
    """Every catalogue model on the designed case (overloaded feeder branch, TSO need both
    ways) with a BRP need: outcome KPIs per model id."""
    case = dataclasses.replace(designed_case((4.0, -1.0)), brp_need_mw=np.array([1.0, 0.5]))
    out = {}
    for m in list_models():
        o = run_scheme(m.scheme, case, m.params.as_dict())
        out[m.id] = compute_kpis(case, o, validate_outcome(case, o))
    return out


def test_declared_models_have_identical_outcomes(
    designed_outcomes: dict[str, dict[str, Any]],
) -> None:
    for m in list_models():
        for other in m.equivalent_to:
            a, b = designed_outcomes[m.id], designed_outcomes[other]
            for k in OUTCOME_KPIS:
                assert math.isclose(a[k], b[k], rel_tol=1e-9, abs_tol=1e-9), (m.id, other, k)


def test_commercial_parties_buy_in_the_integrated_market(
    designed_outcomes: dict[str, dict[str, Any]],
) -> None:
    # with a BRP need the integrated market buys it on top of the TSO's: 1 MWh more up in
    # interval 0 and 0.5 MWh less net down in interval 1 than the common market (dt = 1 h)
    central, integrated = designed_outcomes["eu.central"], designed_outcomes["eu.integrated"]
    assert integrated["activated_up_mwh"] == pytest.approx(central["activated_up_mwh"] + 1.0)
    assert integrated["activated_down_mwh"] == pytest.approx(central["activated_down_mwh"] - 0.5)
    assert integrated["procurement_cost"] > central["procurement_cost"]
