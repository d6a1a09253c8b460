"""Critical branches (``monitor_loading``): only lines whose baseline flow reaches a share of
their rating are constrained in the clearing; ``None`` keeps every rated line."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tdcoord.coordination.network_model import transmission_model
from tdcoord.coordination.schemes import run_scheme
from tdcoord.opf.linear import ptdf as linear_ptdf
from tests.coordination.cases import designed_case


def _independent_peak_loading(case) -> np.ndarray:  # type: ignore[no-untyped-def]
    """max_t |f⁰| / rating per branch from a PTDF computed here (DC flows of the baseline)."""
    tr = case.grid.transmission
    tm = transmission_model(case)
    ptdf = linear_ptdf(tr, "matpower")
    flows = ptdf @ tm.base_injection_mw
    return np.abs(flows).max(axis=1) / np.asarray(tr.branches.rating_mva, dtype=float)


def test_no_threshold_keeps_every_rated_line() -> None:
    case = designed_case()
    tm = transmission_model(case)
    np.testing.assert_array_equal(tm.line_rows, np.flatnonzero(np.isfinite(tm.rating_mw)))


@pytest.mark.parametrize("share", [0.0, 0.3, 0.6, 0.9, 5.0])
def test_monitored_lines_are_those_loaded_above_the_share(share: float) -> None:
    case = dataclasses.replace(designed_case(), monitor_loading=share)
    loading = _independent_peak_loading(case)
    expected = np.flatnonzero(np.isfinite(loading) & (loading >= share))
    np.testing.assert_array_equal(transmission_model(case).line_rows, expected)


def test_threshold_zero_clears_as_without_one() -> None:
    """Every rated line is monitored at 0: the same program, the same outcome bit for bit."""
    case = designed_case()
    a = run_scheme("centralized", case, {})
    b = run_scheme("centralized", dataclasses.replace(case, monitor_loading=0.0), {})
    np.testing.assert_array_equal(a.activation_mw, b.activation_mw)
    assert a.procurement_cost_eur == b.procurement_cost_eur
