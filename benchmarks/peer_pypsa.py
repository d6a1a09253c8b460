"""PyPSA peer of ``bench_dcopf.py e2e``: one single-period DC-OPF with LMPs, timed in PyPSA.

Runs in its OWN environment (PyPSA ≥ 1.4 needs pandas ≥ 3, pandapower pins pandas ~2.3), started
by ``bench_dcopf.py e2e`` as::

    uv run --no-project --isolated --python 3.11 --with pypsa==1.4.0 ... \
        python benchmarks/peer_pypsa.py CASE.json OUT.json   # → one JSON object in OUT.json
    ... python benchmarks/peer_pypsa.py --versions             # → the versions, on stdout

``CASE.json`` holds plain arrays of the case as tdcoord's MATPOWER reader interpreted it
(in-service elements only, rating 0 → unlimited, tap 0 → 1; see ``bench_dcopf.peer_case``):
``base_mva``; ``bus``: ``id``, ``demand_mw`` (loads + shunt conductance ``Gs`` at |V| = 1);
``branch``: ``from_bus``, ``to_bus``, ``x_pu`` (system base), ``tap_ratio``, ``shift_deg``,
``rating_mw``; ``gen``: ``bus``, ``p_min_mw``, ``p_max_mw``, ``c0``, ``c1``, ``c2``.

The DC model PyPSA builds from it is MATPOWER's ``makeBdc`` model — tdcoord's
``convention="matpower"`` (see ``tdcoord.opf.transmission.network``): PyPSA's linear power flow gives a
transformer ``x_pu_eff = x_pu · tap_ratio`` and adds its ``phase_shift`` to Kirchhoff's voltage law,
i.e. :math:`f = (\\theta_0 - \\theta_1 - \\varphi) / (x\\,\\tau)`, the MATPOWER flow. Branches
with τ = 1 and φ = 0 become ``Line`` components (buses at ``v_nom`` = 1 kV, so ``x`` in Ω equals
``x`` in p.u. on a 1 MVA base = ``x_pu / base_mva``), the others ``Transformer`` components
(``s_nom`` = ``base_mva`` so ``x`` stays on the system base; the rating goes to ``s_max_pu``).
No angle-difference limits (``v_ang_max`` left at ∞, as in MATPOWER's DC-OPF and tdcoord's
``matpower`` convention). ``Gs`` enters as load. Costs: ``marginal_cost`` = c1,
``marginal_cost_quadratic`` = c2 (an attribute in 1.4.0; makes it a QP); PyPSA has no constant cost term,
so Σ c0 is added to the reported objective.

Timed (``time.perf_counter``): ``import_s`` — building the ``pypsa.Network`` from the arrays;
``optimize_s`` — ``n.optimize(solver_name="highs")`` (linopy model + HiGHS + writing results back;
with PyPSA's default ``io_api`` linopy writes an LP file that HiGHS reads; ``"io_api": "direct"``
in the case JSON hands the model to ``highspy`` in memory instead);
``prices_s`` — reading ``n.buses_t.marginal_price``; separately ``import_pypsa_s`` (the
``import pypsa`` statement) and ``highs_run_s`` (HiGHS's own run time, when linopy kept the
``highspy`` object), and the stages inside ``n.optimize`` (``stages_s``: ``create_model_s``,
``linopy_solve_s``, ``assign_s``, ``post_processing_s``; see :func:`_instrument`). With
``"post_processing": false`` in the case JSON, PyPSA's ``post_processing`` (dense voltage-angle
recovery, O(n³)) is skipped: the optimize time is then a lower bound of ``n.optimize``'s.
Nothing here imports pypsa at module level, so the array mapping
(:func:`pypsa_tables`) is importable and testable in the project environment.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import numpy as np

#: The peer environment, pinned so reruns are reproducible (checked 2026-11: PyPSA 1.4.0 resolved
#: with these; highspy matches the project's HiGHS 1.15.1).
PEER_REQUIREMENTS: tuple[str, ...] = (
    "pypsa==1.4.0",
    "linopy==0.10.1",
    "highspy==1.15.1",
    "pandas==3.1.1",
    "numpy==2.4.6",
    "xarray==2026.9.0",
)
PEER_PYTHON = "3.11"
_VERSIONED = ("pypsa", "linopy", "highspy", "pandas", "numpy", "xarray")


def uv_command(uv: str, script: str, *args: str) -> list[str]:
    """The ``uv run`` command line that runs ``script`` in the pinned, isolated peer env."""
    cmd = [uv, "run", "--no-project", "--isolated", "--python", PEER_PYTHON]
    for req in PEER_REQUIREMENTS:
        cmd += ["--with", req]
    return [*cmd, "python", script, *args]


def _arr(d: dict[str, Any], key: str, dtype: type = np.float64) -> np.ndarray:
    return np.asarray(d[key], dtype=dtype)


def pypsa_tables(case: dict[str, Any]) -> dict[str, dict[str, np.ndarray]]:
    """Component attribute arrays (PyPSA names and units) for ``case``; pure numpy.

    Returns ``{"Bus": ..., "Load": ..., "Line": ..., "Transformer": ..., "Generator": ...}``, each a
    dict of equal-length arrays with a ``name`` entry; ``Line``/``Transformer`` also keep
    ``branch_row`` (position in the input branch list) so results can be put back in input order.
    """
    base = float(case["base_mva"])
    bus, br, gen = case["bus"], case["branch"], case["gen"]
    bus_id = _arr(bus, "id", np.int64)
    demand = _arr(bus, "demand_mw")
    names = np.array([str(i) for i in bus_id], dtype=object)
    has_load = demand != 0.0
    f_bus = np.array([str(i) for i in _arr(br, "from_bus", np.int64)], dtype=object)
    t_bus = np.array([str(i) for i in _arr(br, "to_bus", np.int64)], dtype=object)
    x, tap = _arr(br, "x_pu"), _arr(br, "tap_ratio")
    shift, rating = _arr(br, "shift_deg"), _arr(br, "rating_mw")
    is_tr = (tap != 1.0) | (shift != 0.0)
    rows = np.arange(len(x))
    line, trafo = ~is_tr, is_tr
    p_min, p_max = _arr(gen, "p_min_mw"), _arr(gen, "p_max_mw")
    p_nom = np.maximum(np.abs(p_max), np.abs(p_min))
    p_nom = np.where(p_nom > 0.0, p_nom, 1.0)  # a 0 MW unit: p_nom 1 with both limits 0
    return {
        "Bus": {"name": names, "v_nom": np.ones(len(bus_id))},
        "Load": {
            "name": np.array([f"L{i}" for i in bus_id[has_load]], dtype=object),
            "bus": names[has_load],
            "p_set": demand[has_load],
        },
        "Line": {
            "name": np.array([f"l{k}" for k in rows[line]], dtype=object),
            "bus0": f_bus[line],
            "bus1": t_bus[line],
            "x": x[line] / base,  # Ω at v_nom = 1 kV = p.u. on a 1 MVA base
            "s_nom": rating[line],
            "branch_row": rows[line],
        },
        "Transformer": {
            "name": np.array([f"t{k}" for k in rows[trafo]], dtype=object),
            "bus0": f_bus[trafo],
            "bus1": t_bus[trafo],
            "x": x[trafo],  # p.u. on s_nom = base_mva
            "s_nom": np.full(int(trafo.sum()), base),
            "s_max_pu": rating[trafo] / base,
            "tap_ratio": tap[trafo],
            "phase_shift": shift[trafo],  # degrees, as MATPOWER
            "branch_row": rows[trafo],
        },
        "Generator": {
            "name": np.array([f"G{k}" for k in range(len(p_min))], dtype=object),
            "bus": np.array([str(i) for i in _arr(gen, "bus", np.int64)], dtype=object),
            "p_nom": p_nom,
            "p_min_pu": p_min / p_nom,
            "p_max_pu": p_max / p_nom,
            "marginal_cost": _arr(gen, "c1"),
            "marginal_cost_quadratic": _arr(gen, "c2"),
        },
    }


def implied_dc(tables: dict[str, dict[str, np.ndarray]], n_branch: int) -> dict[str, np.ndarray]:
    """The DC branch model PyPSA derives from ``tables`` (its ``calculate_dependent_values``),
    in input branch order: ``b_mw`` = 1 / x_pu_eff (MW/rad, 1 MVA base), ``shift_rad``,
    ``rating_mw`` = ``s_nom · s_max_pu``. For checking the mapping against tdcoord."""
    b, shift, rating = np.zeros(n_branch), np.zeros(n_branch), np.zeros(n_branch)
    ln, tr = tables["Line"], tables["Transformer"]
    v_nom = 1.0
    b[ln["branch_row"]] = 1.0 / (ln["x"] / v_nom**2)
    rating[ln["branch_row"]] = ln["s_nom"]
    x_pu_eff = tr["x"] / tr["s_nom"] * tr["tap_ratio"]
    b[tr["branch_row"]] = 1.0 / x_pu_eff
    shift[tr["branch_row"]] = np.deg2rad(tr["phase_shift"])
    rating[tr["branch_row"]] = tr["s_nom"] * tr["s_max_pu"]
    return {"b_mw": b, "shift_rad": shift, "rating_mw": rating}


def versions() -> dict[str, str]:
    """Installed versions of the peer's packages and Python."""
    from importlib.metadata import version

    out = {name: version(name) for name in _VERSIONED}
    out["python"] = sys.version.split()[0]
    return out


def _highs_run_time(n: Any) -> float | None:
    solver_model = getattr(n.model, "solver_model", None)
    try:
        return float(solver_model.getRunTime()) if solver_model is not None else None
    except Exception:  # not a highspy object (file-based io_api): no run time to report
        return None


def _warm_up(pypsa: Any) -> None:
    """One untimed ``n.optimize`` on a 3-bus meshed QP, so first-call costs (linopy's and PyPSA's
    lazy imports, caches) stay out of the timings, as the benchmark's tdcoord warm-up does."""
    n = pypsa.Network()
    n.add("Bus", ["a", "b", "c"], v_nom=1.0)
    n.add("Line", ["ab", "bc", "ca"], bus0=["a", "b", "c"], bus1=["b", "c", "a"], x=0.1, s_nom=50)
    n.add("Transformer", ["ab2"], bus0="a", bus1="b", x=0.1, s_nom=100, tap_ratio=1.05)
    n.add("Generator", ["g", "h"], bus=["a", "b"], p_nom=100, marginal_cost=[10, 20])
    n.add("Load", ["l"], bus="c", p_set=60)
    n.generators["marginal_cost_quadratic"] = [0.01, 0.0]
    n.optimize(solver_name="highs", include_objective_constant=False)


def _instrument(timings: dict[str, float], skip_post_processing: bool) -> None:
    """Time the stages inside ``n.optimize`` without changing them: wrap
    ``OptimizationAccessor.create_model`` / ``assign_solution`` / ``assign_duals`` /
    ``post_processing`` and ``linopy.Model.solve`` (LP file write + HiGHS + read back).

    ``skip_post_processing`` makes ``post_processing`` a no-op: PyPSA then skips its voltage
    angles — a dense ``numpy.linalg.pinv`` of the bus susceptance matrix, O(n³), minutes above a few
    thousand buses — and the bus injections. Prices are unaffected (``assign_duals`` writes them;
    ``post_processing`` only divides them by the snapshot weighting, 1 here)."""
    import linopy
    from pypsa.optimization.optimize import OptimizationAccessor  # type: ignore[import-not-found]

    def wrap(cls: Any, name: str, key: str, skip: bool = False) -> None:
        orig = getattr(cls, name)

        def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return None if skip else orig(self, *args, **kwargs)
            finally:
                timings[key] = timings.get(key, 0.0) + time.perf_counter() - t0

        setattr(cls, name, timed)

    wrap(OptimizationAccessor, "create_model", "create_model_s")
    wrap(linopy.Model, "solve", "linopy_solve_s")
    wrap(OptimizationAccessor, "assign_solution", "assign_s")
    wrap(OptimizationAccessor, "assign_duals", "assign_s")
    wrap(OptimizationAccessor, "post_processing", "post_processing_s", skip_post_processing)


def run(case: dict[str, Any]) -> dict[str, Any]:
    """Build, optimise and price ``case`` in PyPSA; timings, objective and LMPs as a dict."""
    import logging
    import warnings

    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    import pypsa  # type: ignore[import-not-found]  # only in the peer environment

    import_pypsa_s = time.perf_counter() - t0
    logging.getLogger("pypsa").setLevel(logging.ERROR)
    logging.getLogger("linopy").setLevel(logging.ERROR)
    _warm_up(pypsa)

    t0 = time.perf_counter()
    tables = pypsa_tables(case)
    n = pypsa.Network()
    for component, attrs in tables.items():
        cols = {k: v for k, v in attrs.items() if k not in ("name", "branch_row")}
        if len(attrs["name"]):
            n.add(component, attrs["name"], **cols)
    import_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    stages: dict[str, float] = {}
    skip_post = not case.get("post_processing", True)
    _instrument(stages, skip_post)
    io_api = case.get("io_api")  # None: PyPSA's default (linopy writes an LP file for HiGHS)
    status, condition = n.optimize(
        solver_name="highs", io_api=io_api, include_objective_constant=False
    )
    optimize_s = time.perf_counter() - t0

    ok = status == "ok"
    t0 = time.perf_counter()
    prices = n.buses_t.marginal_price.reindex(columns=tables["Bus"]["name"])
    lmp = prices.to_numpy(dtype=np.float64)[0] if ok and len(prices) else np.zeros(0)
    prices_s = time.perf_counter() - t0
    c0 = float(np.sum(_arr(case["gen"], "c0")))
    objective = float(n.objective) + c0 if ok else float("nan")
    return {
        "status": f"{status}/{condition}",
        "objective": objective,
        "lmp": [float(v) for v in lmp],  # NaN (JSON NaN) where PyPSA gave no price
        "import_pypsa_s": import_pypsa_s,
        "import_s": import_s,
        "optimize_s": optimize_s,
        "prices_s": prices_s,
        "highs_run_s": _highs_run_time(n),
        "stages_s": stages,
        "post_processing": not skip_post,
        "io_api": io_api or "default (lp file)",
        "n_line": len(tables["Line"]["name"]),
        "n_transformer": len(tables["Transformer"]["name"]),
        "versions": versions(),
    }


def main(argv: list[str]) -> int:
    """``CASE.json OUT.json`` (the result goes to a file: HiGHS and linopy write to stdout) or
    ``--versions`` (JSON on stdout)."""
    if argv[:1] == ["--versions"]:
        print(json.dumps(versions()))
        return 0
    if len(argv) != 2:
        print("usage: peer_pypsa.py CASE.json OUT.json | --versions", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as fh:
        case = json.load(fh)
    result = run(case)
    with open(argv[1], "w", encoding="utf-8") as fh:
        json.dump(result, fh)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
