"""Rules of a study file that involve two fields or a registry: run after the schema, before
anything is built. Each returns every :class:`~tdcoord.errors.Issue` it finds.

* sizes within the safety bounds of :mod:`tdcoord.limits` (intervals, copies per bus,
  aggregators, models, events), with the study's ``limits:`` overrides;
* ``compare.delay_intervals`` shorter than the day (``fleet.n_intervals``);
* ``compare.needs`` series with one value per interval;
* ``fleet.builder: simbench`` only on a grid whose sources include a ``simbench:`` code or a
  tdcoord grid file (which may hold SimBench profiles);
* ``compare.models``: known catalogue ids, none twice;
* ``settlement``: a registered baseline method, stacking priority of known buyer kinds
  (``dso``, ``platform``, ``tso``), each once.
"""

from __future__ import annotations

from tdcoord.errors import Issue
from tdcoord.limits import limit_issue
from tdcoord.study.schema import Study


def size_issues(study: Study) -> list[Issue]:
    """Sizes above their safety bounds."""
    lim = study.limits
    checks: list[tuple[str, int, str]] = [
        ("max_intervals", study.fleet.n_intervals, "fleet.n_intervals"),
        ("max_aggregators", study.fleet.n_aggregators, "fleet.n_aggregators"),
        ("max_events", len(study.compare.events), "compare.events"),
    ]
    if isinstance(study.compare.models, list):
        checks.append(("max_models", len(study.compare.models), "compare.models"))
    for k, att in enumerate(study.grid.feeders):
        if isinstance(att.per_bus, int):
            checks.append(("max_per_bus", att.per_bus, f"grid.feeders[{k}].per_bus"))
    found = (limit_issue(name, value, where, lim) for name, value, where in checks)
    return [i for i in found if i is not None]


def day_issues(study: Study) -> list[Issue]:
    """Delay and given needs against the day's length."""
    T = study.fleet.n_intervals
    out: list[Issue] = []
    if study.compare.delay_intervals >= T:
        out.append(
            Issue(
                "compare.delay_intervals",
                f"a delay of {study.compare.delay_intervals} intervals in a day of {T} intervals",
                f"give a delay below {T} (fleet.n_intervals)",
            )
        )
    needs = study.compare.needs
    series = {"compare.needs.tso_mw": needs.tso_mw} if needs.tso_mw is not None else {}
    series.update({f"compare.needs.dso_mw.{k}": v for k, v in (needs.dso_mw or {}).items()})
    for where, values in series.items():
        if len(values) != T:
            out.append(
                Issue(
                    where,
                    f"{len(values)} values for a day of {T} intervals",
                    f"give one value per interval ({T})",
                )
            )
    return out


def builder_issues(study: Study) -> list[Issue]:
    """``builder: simbench`` needs SimBench data."""
    if study.fleet.builder != "simbench":
        return []
    sources = study.grid.sources()
    if any(s.startswith("simbench:") or s.lower().endswith(".json") for s in sources):
        return []
    return [
        Issue(
            "fleet.builder",
            f"builder simbench needs a SimBench grid with profiles; the grid is {sources[0]!r}",
            "use builder: penetration, or a simbench: grid source",
        )
    ]


def model_issues(study: Study) -> list[Issue]:
    """Unknown or repeated model ids in ``compare.models``."""
    from tdcoord.coordination.catalogue import list_models

    models = study.compare.models
    if models == "all":
        return []
    known = {e.id for e in list_models()}
    out = []
    for k, m in enumerate(models):
        if m not in known:
            import difflib

            close = difflib.get_close_matches(m, sorted(known), n=3, cutoff=0.5)
            hint = f"did you mean {', '.join(close)}?" if close else "see `tdcoord models`"
            out.append(Issue(f"compare.models[{k}]", f"unknown model id {m!r}", hint))
    dup = sorted({m for m in models if models.count(m) > 1})
    if dup:
        out.append(Issue("compare.models", f"model {dup[0]!r} is listed twice", "list it once"))
    return out


def settlement_issues(study: Study) -> list[Issue]:
    """An unknown baseline method or buyer kind in the ``settlement:`` section."""
    from tdcoord.settlement.baselines import available_baselines
    from tdcoord.settlement.value_stacking import BUYER_KINDS

    spec, out = study.settlement, []
    if spec.baseline is not None and spec.baseline not in available_baselines():
        out.append(
            Issue(
                "settlement.baseline",
                f"unknown baseline method {spec.baseline!r}",
                f"use one of {', '.join(available_baselines())}",
            )
        )
    for k, kind in enumerate(spec.stacking_priority or []):
        if kind not in BUYER_KINDS:
            out.append(
                Issue(
                    f"settlement.stacking_priority[{k}]",
                    f"unknown buyer kind {kind!r}",
                    f"use buyer kinds {', '.join(BUYER_KINDS)}",
                )
            )
    order = spec.stacking_priority or []
    dup = sorted({b for b in order if order.count(b) > 1})
    if dup:
        out.append(
            Issue(
                "settlement.stacking_priority",
                f"buyer kind {dup[0]!r} is listed twice",
                "list each buyer kind once",
            )
        )
    return out


def study_issues(study: Study) -> list[Issue]:
    """Every cross-field problem of ``study`` (empty when it is sound)."""
    return [
        *size_issues(study),
        *day_issues(study),
        *builder_issues(study),
        *model_issues(study),
        *settlement_issues(study),
    ]
