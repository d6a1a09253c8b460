"""The ten schemes on the designed case: ordering of costs, violations, information boundaries."""

from __future__ import annotations

import numpy as np
import pytest

from tdcoord.coordination.errors import CoordinationError
from tdcoord.coordination.injectors import offer_injectors, prior_from_activation
from tdcoord.coordination.messages import MessageLog
from tdcoord.coordination.schemes import SCHEMES, run_scheme
from tdcoord.coordination.schemes.local import residual_view
from tdcoord.coordination.validation import validate_outcome
from tdcoord.kpi.metrics import KPI_KEYS, compute_kpis

from .cases import designed_case


@pytest.fixture(scope="module")
def case():  # type: ignore[no-untyped-def]
    return designed_case()


@pytest.fixture(scope="module")
def results(case):  # type: ignore[no-untyped-def]
    out = {}
    for name in SCHEMES:
        o = run_scheme(name, case, {})
        out[name] = (o, compute_kpis(case, o, validate_outcome(case, o)))
    return out


def test_common_is_never_more_costly(results) -> None:  # type: ignore[no-untyped-def]
    best = results["common"][1]["total_cost"]
    for name, (_, k) in results.items():
        assert k["total_cost"] >= best - 1e-6, name
        assert set(KPI_KEYS) <= set(k)


def test_centralized_leaves_distribution_violations(results) -> None:  # type: ignore[no-untyped-def]
    assert results["centralized"][1]["unresolved_violations"] > 0
    assert results["centralized"][1]["unresolved_overload_mwh"] > 0
    for name in ("common", "local"):
        assert results[name][1]["unresolved_violations"] == 0, name


def test_fragmented_double_and_counter_activation(results) -> None:  # type: ignore[no-untyped-def]
    k = results["fragmented"][1]
    assert k["double_activations"] >= 1
    assert k["counter_activations"] >= 1
    assert results["common"][1]["double_activations"] == 0


def test_activation_within_quantity(case, results) -> None:  # type: ignore[no-untyped-def]
    for name, (o, _) in results.items():
        assert (o.activation_mw <= case.offers.quantity_mw + 1e-9).all(), name
        assert (o.activation_mw >= 0).all(), name
        assert o.scheme == name


def test_decentralized_common_matches_centralized(case, results) -> None:  # type: ignore[no-untyped-def]
    dec = run_scheme("common", case, {"variant": "decentralized"})
    k = compute_kpis(case, dec, validate_outcome(case, dec, ac=False))
    cen = results["common"][1]["procurement_cost"]
    assert abs(k["procurement_cost"] - cen) <= 1e-3 * abs(cen)
    assert dec.iterations >= 1
    pairs = dec.messages.by_pair()
    assert ((pairs.sender == "tso") & (pairs.receiver == "dso:f0")).any()


def test_determinism(case) -> None:  # type: ignore[no-untyped-def]
    for name in ("common", "local", "fragmented"):
        a = run_scheme(name, case, {})
        b = run_scheme(name, case, {})
        assert np.array_equal(a.activation_mw, b.activation_mw)
        assert a.activations.equals(b.activations)


def test_tso_view_in_local_has_no_feeder_topology(case) -> None:  # type: ignore[no-untyped-def]
    inj = offer_injectors(case)
    zero = np.zeros_like(case.offers.quantity_mw)
    view = residual_view(case, inj, zero, prior_from_activation(case, zero), "pass_through",
                         MessageLog())
    assert (view.offers.feeder == -1).all()
    assert not hasattr(view, "feeders")
    assert set(view.offers.node.tolist()) <= set(range(case.grid.transmission.n_bus))


def test_unknown_scheme_and_param(case) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CoordinationError):
        run_scheme("nope", case, {})
    with pytest.raises(CoordinationError):
        run_scheme("local", case, {"variant": "centralized"})
    with pytest.raises(CoordinationError):
        run_scheme("common", case, {"variant": "sideways"})
