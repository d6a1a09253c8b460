"""Declared equivalent models (catalogue field ``equivalent_to``) grouped in the report.

Two catalogue models are declared equivalent when they are the same mechanism under two names
(docs/models.md, "Declared equivalences"). The report shows such a group once: one KPI column
headed ``a ≡ b`` when their KPI rows are identical on this study, and says so when a declared
group's KPIs differ here (then each keeps its own column).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from tdcoord.report.data import ReportInput


@dataclass(frozen=True)
class Group:
    """Models of this run declared equivalent: ``ids`` (report order), ``reason``, and whether
    their KPI rows are ``identical`` on this study."""

    ids: tuple[str, ...]
    reason: str
    identical: bool


def _declared(ri: ReportInput) -> dict[str, set[str]]:
    m = ri.models
    if "equivalent_to" not in m.columns:
        return {}
    out: dict[str, set[str]] = {}
    for mid, eq in zip(m["model_id"], m["equivalent_to"].fillna("").astype(str), strict=True):
        out[str(mid)] = {x.strip() for x in eq.split(",") if x.strip() and x.strip() != "nan"}
    return out


def _same_kpis(kpis: pd.DataFrame, ids: tuple[str, ...]) -> bool:
    rows = kpis.set_index("model_id").loc[list(ids)]
    return bool(all(rows.iloc[0].equals(rows.iloc[k]) for k in range(1, len(rows))))


def equivalence_groups(ri: ReportInput) -> list[Group]:
    """Groups of ≥ 2 models of this run declared equivalent, in report order."""
    declared = _declared(ri)
    ids = ri.model_ids
    seen: set[str] = set()
    reasons = dict(
        zip(
            ri.models["model_id"].astype(str),
            ri.models.get("equivalence_reason", pd.Series([""] * len(ri.models)))
            .fillna("")
            .astype(str),
            strict=True,
        )
    )
    groups = []
    for m in ids:
        if m in seen:
            continue
        members = tuple(x for x in ids if x == m or x in declared.get(m, set()))
        seen.update(members)
        if len(members) >= 2:
            groups.append(Group(members, reasons.get(m, ""), _same_kpis(ri.kpis, members)))
    return groups


def shown_columns(ri: ReportInput) -> list[tuple[str, str]]:
    """KPI table columns: (model id whose row is shown, header). Identical declared groups
    collapse to their first member, headed ``a ≡ b ≡ …``."""
    merged = {g.ids[0]: g.ids for g in equivalence_groups(ri) if g.identical}
    hidden = {x for ids in merged.values() for x in ids[1:]}
    return [(m, " ≡ ".join(merged.get(m, (m,)))) for m in ri.model_ids if m not in hidden]
