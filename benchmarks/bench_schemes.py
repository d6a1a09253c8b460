"""Time the ten coordination schemes on a realistic case (prints seconds per scheme).

Case: the default study's grid (PGLib case14 + CIGRE MV feeders attached below the load buses),
96 quarter-hour intervals, a daily load shape, a TSO need that swings between short and long, and
about ``--offers`` offer steps placed at random feeder nodes (plus a few transmission steps).

    python benchmarks/bench_schemes.py [--offers 2000] [--schemes local,common] [--profile]

``--study`` times the schemes on the default study's own day-ahead clearing case instead (the
grid, fleet, offer book, operating point and TSO need that ``tdcoord compare`` clears in its
first market stage), e.g. the aggregated interface offer:

    python benchmarks/bench_schemes.py --study --schemes local,multi_level \
        --params interface_offer=aggregated

Seconds are wall clock and CPU (``time.process_time``; the machine may be shared).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

import numpy as np

from tdcoord.coordination.baseline import build_case
from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.schemes import SCHEMES, run_scheme
from tdcoord.coordination.validation import validate_outcome
from tdcoord.market.offers import OfferBook
from tdcoord.study import load_study


def realistic_case(n_offers: int = 2000, T: int = 96, seed: int = 0) -> ClearingCase:
    """Default-study grid, ``n_offers`` random offer steps, a daily shape, a TSO need."""
    rng = np.random.default_rng(seed)
    grid = load_study().grid.build()
    shape = 0.75 + 0.35 * np.sin(np.linspace(0.0, 2.0 * np.pi, T, endpoint=False) - 1.8)
    fp = [np.asarray((f.node_load_mw() - f.node_sgen_mw())[:, None] * shape[None, :])
          for f in grid.feeders]
    fq = [np.asarray((f.node_load_mvar() - f.node_sgen_mvar())[:, None] * shape[None, :])
          for f in grid.feeders]
    tr = grid.transmission
    assert tr is not None
    load = np.asarray(tr.loads.p_mw[:, None] * shape[None, :])
    n_f = len(grid.feeders)
    n_t = max(n_offers // 50, 2)
    k = n_offers - n_t
    feeder = rng.integers(0, n_f, k)
    node = np.array([rng.integers(1, grid.feeders[f].n_node) for f in feeder])
    feeder = np.concatenate([feeder, -np.ones(n_t, dtype=np.int64)])
    node = np.concatenate([node, rng.integers(0, tr.n_bus, n_t)])
    n = len(feeder)
    direction = np.where(rng.random(n) < 0.5, 1, -1)
    qty = rng.uniform(0.02, 0.4, (n, 1)) * (0.6 + 0.4 * rng.random((n, T)))
    qty[feeder == -1] *= 40.0
    price = rng.uniform(20.0, 120.0, (n, 1)) + rng.normal(0.0, 3.0, (n, T))
    price[direction == -1] -= 15.0
    price = np.maximum(price, 1.0)  # steps ask 1–125 €/MWh (none pays to be activated)
    book = OfferBook(
        offer_id=[f"o{i}" for i in range(n)], der_id=[f"d{i}" for i in range(n)],
        aggregator_id=[f"agg{i % 7}" for i in range(n)], product_id=["mfrr"] * n,
        der_type=["battery"] * n, direction=direction, feeder=feeder, node=node,
        reactive=np.zeros(n, dtype=bool), quantity_mw=qty, price_eur_per_mwh=price,
    )
    need = 25.0 * np.sin(np.linspace(0.0, 4.0 * np.pi, T)) + rng.normal(0.0, 3.0, T)
    return build_case(grid, book, dt_h=0.25, load_mw=load, feeder_p_mw=fp, feeder_q_mvar=fq,
                      tso_need_mw=need)


def study_case() -> ClearingCase:
    """The default study's day-ahead clearing case, set up as ``run_comparison`` does."""
    from tdcoord.pipeline import build_shared_day, stage_case

    return stage_case(build_shared_day(load_study()), "day_ahead")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--offers", type=int, default=2000)
    ap.add_argument("--intervals", type=int, default=96)
    ap.add_argument("--schemes", default=",".join(SCHEMES))
    ap.add_argument("--params", default="", help="key=value,... for every scheme run")
    ap.add_argument("--validate", action="store_true", help="also time the AC validation")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--study", action="store_true", help="the default study's day-ahead case")
    args = ap.parse_args()
    t0 = time.perf_counter()
    case = study_case() if args.study else realistic_case(args.offers, args.intervals)
    print(f"case: {case.n_feeders} feeders, {case.offers.n_offers} offers, {case.n_periods} "
          f"intervals, built in {time.perf_counter() - t0:.1f} s")
    params: dict[str, object] = {}
    for kv in filter(None, args.params.split(",")):
        key, value = kv.split("=")
        params[key] = {"true": True, "false": False}.get(value, value)
    prof = cProfile.Profile() if args.profile else None
    total = 0.0
    for name in args.schemes.split(","):
        t1, c1 = time.perf_counter(), time.process_time()
        if prof:
            prof.enable()
        out = run_scheme(name, case, params)
        if prof:
            prof.disable()
        dt, cpu = time.perf_counter() - t1, time.process_time() - c1
        total += dt
        line = (f"{name:26s} {dt:7.2f} s (cpu {cpu:6.2f} s)  status={out.status:20s} "
                f"cost={out.procurement_cost_eur:12.1f}")
        if args.validate:
            t2 = time.perf_counter()
            rep = validate_outcome(case, out)
            line += f"  validate {time.perf_counter() - t2:5.2f} s (viol {rep.n_violations})"
        print(line, flush=True)
    print(f"total {total:.1f} s")
    if prof:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(35)


if __name__ == "__main__":
    main()
