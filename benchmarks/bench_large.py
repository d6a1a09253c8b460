"""The national-scale study per stage: one day of one model on ``scenarios/large.yaml``.

    python benchmarks/bench_large.py [--study scenarios/large.yaml] [--model eu.central]
                                     [--feeders 1010,500,250] [--json OUT.json]

For each feeder count N (the feeders below the first N load buses of the study's transmission
case; the study's own grid when N is its count) it times, in one process:

* ``grid`` (study → coupled grid), ``fleet``, ``day`` (profiles, forecasts), ``offers``,
  ``day_ahead_market`` — the shared day (:func:`tdcoord.pipeline.shared.build_shared_day`'s steps);
* ``clear:<stage>`` per market stage, ``activation``, ``ac_validation``, ``settlement`` — the
  model day (:func:`tdcoord.pipeline.model.run_model`), timed by wrapping the functions the
  pipeline calls (no change to the pipeline);

and prints the peak resident memory (``ru_maxrss``) and whether pandapower used numba. Run the
counts in separate processes (``--feeders`` one value per call) to get each one's peak memory.
"""

from __future__ import annotations

import argparse
import functools
import json
import resource
import time
import warnings
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TIMES: dict[str, float] = defaultdict(float)


def timed(name: str | Callable[..., str], fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` that adds its wall time to ``TIMES[name]`` (``name(*args, **kw)`` if callable)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            key = name(*args, **kwargs) if callable(name) else name
            TIMES[key] += time.perf_counter() - t0

    return wrapper


def instrument() -> None:
    """Wrap the functions the pipeline calls so each stage's time is recorded."""
    import tdcoord.der.fleet_spec as fleet_spec
    import tdcoord.pipeline.day as pday
    import tdcoord.pipeline.model as pmodel
    import tdcoord.pipeline.shared as shared
    import tdcoord.study.schema as schema

    schema.GridSpec.build = timed("grid", schema.GridSpec.build)  # type: ignore[method-assign]
    fleet_spec.build_fleet = timed("fleet", fleet_spec.build_fleet)
    shared.build_day = timed("day", shared.build_day)
    shared.market_offers = timed("offers", shared.market_offers)
    shared.day_ahead_market = timed("day_ahead_market", shared.day_ahead_market)

    def stage_name(*args: Any, **kwargs: Any) -> str:
        return "clear:" + str(kwargs.get("stage", args[2] if len(args) > 2 else "day_ahead"))

    pday.clear_stage = timed(stage_name, pday.clear_stage)
    pday.activate = timed("activation", pday.activate)
    pday.validate_outcome = timed("ac_validation", pday.validate_outcome)
    pmodel.settle_model = timed("settlement", pmodel.settle_model)


def study_with_feeders(path: Path, n_buses: int | None) -> Any:
    """The study, with feeders below the first ``n_buses`` load buses only (None: as is)."""
    from tdcoord.grid.coupling import load_buses
    from tdcoord.grid.io.source import load_grid
    from tdcoord.study import load_study

    study = load_study(path)
    if n_buses is None:
        return study
    transmission = study.grid.transmission
    assert transmission is not None
    buses = load_buses(load_grid(transmission).transmission)[:n_buses]
    att = study.grid.feeders[0].model_copy(update={"buses": buses})
    grid = study.grid.model_copy(update={"feeders": [att]})
    return study.model_copy(update={"grid": grid})


def numba_used() -> bool:
    """Whether numba is importable (pandapower uses it only when also asked to)."""
    try:
        import numba  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return False
    return True


def run(path: Path, model: str, n_buses: int | None) -> dict[str, Any]:
    import numpy as np

    from tdcoord.pipeline.model import run_model
    from tdcoord.pipeline.shared import build_shared_day

    TIMES.clear()
    study = study_with_feeders(path, n_buses)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shared = build_shared_day(study)
        t1 = time.perf_counter()
        result = run_model(shared, model)
    t2 = time.perf_counter()
    grid = shared.grid
    assert grid is not None
    from tdcoord.coordination.network_model import transmission_model
    from tdcoord.pipeline.day import day_case

    tm = transmission_model(day_case(shared))
    return {
        "rated_lines": int(np.isfinite(tm.rating_mw).sum()),
        "monitored_lines": int(tm.line_rows.size),
        "feeders": len(grid.feeders),
        "feeder_nodes": sum(f.n_node for f in grid.feeders),
        "ders": len(shared.day.fleet.der_id),
        "offers": len(shared.offers.quantity_mw),
        "shared_day_s": t1 - t0,
        "model_day_s": t2 - t1,
        "stages_s": dict(TIMES),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "numba": numba_used(),
        "total_cost": result.kpis.get("total_cost"),
        "unresolved_violations": result.kpis.get("unresolved_violations"),
        "settlement_residual_eur": result.kpis.get("settlement_residual_eur"),
        "not_converged": result.day.validation.not_converged,
        "violations_by_kind": _violations_by_kind(result.day.validation.violations),
    }


def _violations_by_kind(violations: Any) -> dict[str, int]:
    """(element, interval) violations per kind and where (transmission or feeder)."""
    if not len(violations):
        return {}
    where = violations["network"].astype(str).str.split(":").str[0]
    key = violations["kind"].astype(str) + "@" + where
    return {str(k): int(v) for k, v in key.value_counts().sort_index().items()}


#: ``--numba`` of a validation-only run: "" as the project runs, "on", "off", or both in turn.
NUMBA_MODES: list[str] = [""]


def force_numba(on: bool) -> None:
    """Every pandapower power flow with ``numba=on`` (the project passes ``numba=False``)."""
    import pandapower as pp

    real = getattr(pp, "_tdcoord_real_runpp", pp.runpp)
    pp._tdcoord_real_runpp = real

    def runpp(net: Any, **kwargs: Any) -> Any:
        kwargs["numba"] = on
        return real(net, **kwargs)

    pp.runpp = runpp


def validation_only(path: Path, n_buses: int | None) -> dict[str, Any]:
    """The shared day's stages, then AC validation of every feeder and interval at the actual
    operating point with no activation (``ac_flows``): the validation alone, without clearing."""
    import numpy as np

    from tdcoord.coordination.injectors import prior_from_activation
    from tdcoord.coordination.validation import ac_flows
    from tdcoord.pipeline.day import day_case
    from tdcoord.pipeline.shared import build_shared_day

    TIMES.clear()
    study = study_with_feeders(path, n_buses)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shared = build_shared_day(study)
        case = day_case(shared)
        prior = prior_from_activation(case, np.zeros((len(shared.offers.quantity_mw), case.n_periods)))
        for mode in NUMBA_MODES:  # back to back in one process: the same load for both
            if mode:
                force_numba(mode == "on")
            t0 = time.perf_counter()
            flows = ac_flows(case, prior)
            TIMES[f"ac_validation{':numba_' + mode if mode else ''}"] = time.perf_counter() - t0
    return {
        "feeders": case.n_feeders,
        "feeder_nodes": sum(f.n_node for f in case.grid.feeders),
        "intervals": case.n_periods,
        "ders": len(shared.day.fleet.der_id),
        "offers": len(shared.offers.quantity_mw),
        "stages_s": dict(TIMES),
        "not_converged": sum(not fl.converged for _, _, fl in flows),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "numba": numba_used(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--study", default=str(ROOT / "scenarios" / "large.yaml"))
    ap.add_argument("--model", default="eu.central")
    ap.add_argument("--feeders", default="", help="load buses with a feeder, comma-separated")
    ap.add_argument("--json", default="")
    ap.add_argument("--validation-only", action="store_true",
                    help="shared day + AC validation of the baseline, no clearing")
    ap.add_argument("--numba", choices=["on", "off", "both"], default="",
                    help="force pandapower's numba on or off (default: as the project runs)")
    args = ap.parse_args()
    instrument()
    if args.numba == "both":
        NUMBA_MODES[:] = ["off", "on", "off", "on"]
    elif args.numba:
        force_numba(args.numba == "on")
    if args.validation_only:
        counts_v: list[int | None] = [int(x) for x in args.feeders.split(",") if x] or [None]
        out = [validation_only(Path(args.study), n) for n in counts_v]
        for r in out:
            print(json.dumps(r), flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(out, indent=1))
        return
    counts: list[int | None] = [int(x) for x in args.feeders.split(",") if x] or [None]
    results = []
    for n in counts:
        r = run(Path(args.study), args.model, n)
        results.append(r)
        print(f"{r['feeders']} feeders, {r['ders']} DERs, {r['offers']} offer steps, "
              f"{r['monitored_lines']}/{r['rated_lines']} lines in the clearing: shared day "
              f"{r['shared_day_s']:.1f} s, model day {r['model_day_s']:.1f} s, peak RSS "
              f"{r['peak_rss_mb']:.0f} MB, numba {r['numba']}", flush=True)
        for k, v in r["stages_s"].items():
            print(f"  {k:24s} {v:8.2f} s")
        print(f"  total_cost {r['total_cost']:.6g} €, violations {r['unresolved_violations']}, "
              f"not converged {r['not_converged']}, residual {r['settlement_residual_eur']:.2g} €")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
