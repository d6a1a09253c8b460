"""Margins calibrated by an AC power flow (tdcoord.coordination.margin_calibration), checked
against an independent backward/forward sweep of the exact branch-flow equations."""

from __future__ import annotations

import dataclasses

import numpy as np

from tdcoord.coordination.clearing import ClearingSpec, Margins, clear
from tdcoord.coordination.injectors import offer_injectors
from tdcoord.coordination.margin_calibration import calibrated_margins, linearisation_error_pu
from tdcoord.grid.model import Feeder

from .cases import designed_case, feeder


def sweep_voltages(fd: Feeder, p_mw: np.ndarray, q_mvar: np.ndarray) -> np.ndarray:
    """Independent AC voltages |V| (pu) of a radial feeder with constant-power withdrawals
    (one column): backward/forward sweep on complex currents (Kersting, ch. 10)."""
    s = (p_mw + 1j * q_mvar) / fd.base_mva
    z = fd.branches.r_pu + 1j * fd.branches.x_pu
    parent = fd.parent
    v = np.full(fd.n_node, complex(fd.v_root_pu))
    for _ in range(200):
        i_node = np.conj(s / v)
        i_branch = i_node.copy()
        for n in range(fd.n_node - 1, 0, -1):  # children after parents (breadth-first order)
            i_branch[parent[n]] += i_branch[n]
        for n in range(1, fd.n_node):
            v[n] = v[parent[n]] - z[n - 1] * i_branch[n]
    return np.abs(v)


def lindistflow_voltages(fd: Feeder, p_mw: np.ndarray, q_mvar: np.ndarray) -> np.ndarray:
    """Independent LinDistFlow |V|: v² = v0² − 2 Σ_path (r P_down + x Q_down) / S_base."""
    parent = fd.parent
    p_down, q_down = p_mw.astype(float).copy(), q_mvar.astype(float).copy()
    for n in range(fd.n_node - 1, 0, -1):
        p_down[parent[n]] += p_down[n]
        q_down[parent[n]] += q_down[n]
    v2 = np.full(fd.n_node, fd.v_root_pu**2)
    for n in range(1, fd.n_node):
        r, x = fd.branches.r_pu[n - 1], fd.branches.x_pu[n - 1]
        v2[n] = v2[parent[n]] - 2 * (r * p_down[n] + x * q_down[n]) / fd.base_mva
    return np.sqrt(v2)


def loads(fd: Feeder) -> tuple[np.ndarray, np.ndarray]:
    """Two intervals: no load, then 1 MW + 0.2 Mvar at every node but the root."""
    p = np.zeros((fd.n_node, 2))
    q = np.zeros((fd.n_node, 2))
    p[1:, 1] = 1.0
    q[1:, 1] = 0.2
    return p, q


def test_error_matches_an_independent_sweep() -> None:
    fd = feeder()
    p, q = loads(fd)
    err = linearisation_error_pu([fd], [p], [q])[0]
    want = sweep_voltages(fd, p[:, 1], q[:, 1]) - lindistflow_voltages(fd, p[:, 1], q[:, 1])
    np.testing.assert_allclose(err[:, 1], want, atol=1e-6)
    np.testing.assert_allclose(err[:, 0], 0.0, atol=1e-9)  # no flow, no error
    # lossless LinDistFlow overestimates the voltage, more so further down the feeder
    assert np.all(np.diff(err[:, 1]) < 0)


def test_calibrated_margins_are_the_worst_error_per_node() -> None:
    fd = feeder()
    p, q = loads(fd)
    base = Margins(rating_frac=0.05, voltage_pu=0.002)
    m = calibrated_margins(base, [fd], [p], [q])
    err = linearisation_error_pu([fd], [p], [q])[0]
    np.testing.assert_allclose(m.extra_low_pu[0], np.maximum(-err.min(axis=1), 0.0), atol=1e-9)
    np.testing.assert_allclose(m.extra_high_pu[0], 0.0)
    np.testing.assert_allclose(m.low_pu(0, fd.n_node), 0.002 + np.asarray(m.extra_low_pu[0]))
    np.testing.assert_allclose(m.high_pu(0, fd.n_node), 0.002)
    assert m.calibrated and not base.calibrated
    assert m.rating_frac == 0.05
    # another feeder index, or the uncalibrated margins: the scalar margin only
    np.testing.assert_allclose(m.low_pu(1, fd.n_node), 0.002)
    np.testing.assert_allclose(m.low_pu(-1, fd.n_node), 0.002)
    assert calibrated_margins(base, [], [], []) == base


def test_a_node_extra_tightens_that_node_in_the_clearing() -> None:
    """A voltage row binds harder at a node with a calibrated extra: the designed case's feeder
    end (node row 4) at 0.95 + 0.04 pu buys relief that a flat 0 margin does not."""
    case = designed_case((0.0,))
    inj = offer_injectors(case, [0, 1])
    fd = case.grid.feeders[0]
    flat = Margins(rating_frac=0.0, voltage_pu=0.0)
    extra = dataclasses.replace(
        flat, extra_low_pu=(tuple([0.0] * (fd.n_node - 1) + [0.04]),),
    )
    spec = ClearingSpec(injectors=inj, feeders=(0,))
    loose = clear(dataclasses.replace(case, margins=flat), spec)
    tight = clear(dataclasses.replace(case, margins=extra), spec)
    assert tight.objective_eur > loose.objective_eur + 1e-6
