"""The day's AC power flows (tdcoord.coordination.ac_day): a feeder that cannot be solved is set
apart, the others are solved as if alone."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tdcoord.coordination import ac_day
from tdcoord.coordination.ac_day import feeder_ac_flows
from tdcoord.grid.validate import NodeInjections, run_feeders

from .cases import feeder

T = 4


def day_loads(scale: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Withdrawals (n_node, T) of the 5-node test feeder: 1 MW + 0.2 Mvar per load node times
    ``scale[t]``."""
    p = np.zeros((5, T))
    p[1:] = np.asarray(scale)[None, :]
    return p, 0.2 * p


def test_a_failing_feeder_is_set_apart_and_the_others_match_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fds = [feeder(f"f{i}") for i in range(3)]
    ok_p, ok_q = day_loads([0.5, 1.0, 1.2, 0.8])
    # feeder f1 is impossible from interval 1 on (100 MW per node on a 10 MVA base)
    bad_p, bad_q = day_loads([0.5, 100.0, 100.0, 0.8])
    p, q = [ok_p, bad_p, ok_p], [ok_q, bad_q, ok_q]
    calls: list[int] = []
    real = ac_day.bisect_interval

    def counting(*args: object) -> object:
        calls.append(int(args[-1]))  # type: ignore[call-overload]
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(ac_day, "bisect_interval", counting)
    flows = feeder_ac_flows(fds, p, q)
    assert [(f, t) for f, t, _ in flows] == [(f, t) for t in range(T) for f in range(3)]
    conv = {(f, t): fl.converged for f, t, fl in flows}
    assert not conv[(1, 1)] and not conv[(1, 2)]
    assert conv[(1, 0)] and conv[(1, 3)]  # solved apart once it is feasible again
    # one bisection, in the first failing interval; then f1 is solved apart
    assert calls == [1]
    for f, t, fl in flows:
        if f == 1:
            continue
        alone = run_feeders(
            [fds[f]], {fds[f].id: NodeInjections(p_mw=p[f][:, t], q_mvar=q[f][:, t])}
        )[0]
        np.testing.assert_allclose(fl.v_pu, alone.v_pu, atol=1e-8)
        np.testing.assert_allclose(fl.loading_percent, alone.loading_percent, atol=1e-6)


def test_same_flows_on_a_second_run() -> None:
    fds = [feeder("a"), dataclasses.replace(feeder("b"), v_root_pu=1.02)]
    p, q = day_loads([0.2, 0.9, 1.1, 0.4])
    one = feeder_ac_flows(fds, [p, p], [q, q])
    two = feeder_ac_flows(fds, [p, p], [q, q])
    for (_, _, a), (_, _, b) in zip(one, two, strict=True):
        np.testing.assert_array_equal(a.v_pu, b.v_pu)


def test_numba_only_above_the_threshold() -> None:
    assert not ac_day.use_numba(ac_day.NUMBA_MIN_FEEDERS - 1)
    pytest.importorskip("numba")  # the extra `numba` (installed by `make setup`)
    assert ac_day.use_numba(ac_day.NUMBA_MIN_FEEDERS)


def test_numba_flows_match_the_pure_python_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the accelerator forced on (threshold 1) the batched flows equal the pure-Python
    ones to solver tolerance; a failing feeder is still set apart."""
    pytest.importorskip("numba")
    fds = [feeder(f"n{i}") for i in range(3)]
    ok_p, ok_q = day_loads([0.5, 1.0, 1.2, 0.8])
    bad_p, bad_q = day_loads([0.5, 100.0, 100.0, 0.8])
    p, q = [ok_p, bad_p, ok_p], [ok_q, bad_q, ok_q]
    plain = feeder_ac_flows(fds, p, q)
    monkeypatch.setattr(ac_day, "NUMBA_MIN_FEEDERS", 1)
    fast = feeder_ac_flows(fds, p, q)
    for (f, t, a), (_, _, b) in zip(plain, fast, strict=True):
        assert a.converged == b.converged, (f, t)
        if a.converged:
            np.testing.assert_allclose(a.v_pu, b.v_pu, atol=1e-8)
            np.testing.assert_allclose(a.loading_percent, b.loading_percent, atol=1e-6)
