"""The report's input: one frozen dataclass of long-format pandas frames.

``tdcoord compare`` fills a :class:`ReportInput` from the comparison run; the report never reaches
back into the run. Every frame is validated on construction (required columns present, numbers
numeric, model ids known, grid edges pointing at grid nodes) and normalised (ids as strings,
intervals as integers, fresh index) so that figure code can rely on it.

Grid keys: a transmission bus is ``"T:<bus_id>"`` and a feeder node ``"F:<feeder_id>:<node_id>"``;
:func:`bus_key` and :func:`node_key` build them from the columns of ``lmp``, ``dlmp`` and
``voltages``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tdcoord.report.errors import ReportError
from tdcoord.report.glossary import TIMING_KPIS


@dataclass(frozen=True)
class FrameSchema:
    """Columns of one input frame: ``required`` ones, the ``numeric`` ones among them (coerced to
    float), the ``integer`` ones (coerced to int), the ``ids`` (coerced to str) and ``optional``
    ones the report uses when present. ``nonempty`` frames must have at least one row."""

    required: tuple[str, ...]
    numeric: tuple[str, ...] = ()
    integer: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    nonempty: bool = False


FRAME_SCHEMAS: dict[str, FrameSchema] = {
    "models": FrameSchema(
        required=(
            "model_id",
            "name",
            "region",
            "scheme",
            "params",
            "neutrality",
            "transparency",
            "complexity",
        ),
        ids=("model_id",),
        optional=(
            "neutrality_note",
            "transparency_note",
            "complexity_note",
            "source",
            "description",
            "equivalent_to",
            "equivalence_reason",
        ),
        nonempty=True,
    ),
    "kpis": FrameSchema(required=("model_id",), ids=("model_id",), nonempty=True),
    "cost_by_actor": FrameSchema(
        required=("model_id", "actor", "cost_eur"), numeric=("cost_eur",), ids=("model_id", "actor")
    ),
    "lmp": FrameSchema(
        required=("model_id", "bus_id", "interval", "price_eur_per_mwh"),
        numeric=("price_eur_per_mwh",),
        integer=("interval",),
        ids=("model_id", "bus_id"),
    ),
    "dlmp": FrameSchema(
        required=("model_id", "feeder_id", "node_id", "interval", "price_eur_per_mwh"),
        numeric=("price_eur_per_mwh",),
        integer=("interval",),
        ids=("model_id", "feeder_id", "node_id"),
    ),
    "grid_edges": FrameSchema(
        required=("kind", "feeder_id", "from_id", "to_id"), ids=("feeder_id", "from_id", "to_id")
    ),
    "grid_nodes": FrameSchema(required=("key", "kind", "label"), ids=("key",), optional=("x", "y")),
    "interface_flows": FrameSchema(
        required=("model_id", "feeder_id", "interval", "actual_mw", "scheduled_mw"),
        numeric=("actual_mw", "scheduled_mw"),
        integer=("interval",),
        ids=("model_id", "feeder_id"),
    ),
    "voltages": FrameSchema(
        required=("model_id", "feeder_id", "node_id", "interval", "v_pu"),
        numeric=("v_pu",),
        integer=("interval",),
        ids=("model_id", "feeder_id", "node_id"),
        optional=("v_min_pu", "v_max_pu"),
    ),
    "activations": FrameSchema(
        required=("model_id", "der_type", "product_id", "buyer", "direction", "mwh"),
        numeric=("mwh",),
        integer=("direction",),
        ids=("model_id", "der_type", "product_id", "buyer"),
    ),
    "messages": FrameSchema(
        required=("model_id", "sender", "receiver", "messages", "bytes"),
        numeric=("messages", "bytes"),
        ids=("model_id", "sender", "receiver"),
    ),
    "settlement": FrameSchema(
        required=("model_id", "party", "party_kind", "amount_eur"),
        numeric=("amount_eur",),
        ids=("model_id", "party", "party_kind"),
    ),
    "timeline": FrameSchema(
        required=("model_id", "stage", "interval", "event", "detail"),
        integer=("interval",),
        ids=("model_id", "stage", "event"),
    ),
}

EDGE_KINDS = ("transmission", "feeder", "interface")
TEXT_KPIS = ("status",)


def empty_frame(name: str) -> pd.DataFrame:
    """An empty frame with the required columns of input frame ``name`` (for "not available")."""
    if name not in FRAME_SCHEMAS:
        raise ReportError(
            f"unknown report frame {name!r}",
            where="tdcoord.report.empty_frame",
            fix=f"use one of {', '.join(sorted(FRAME_SCHEMAS))}",
        )
    return pd.DataFrame({c: pd.Series(dtype=object) for c in FRAME_SCHEMAS[name].required})


def bus_key(bus_id: pd.Series) -> pd.Series:
    """Grid-node keys ``"T:<bus_id>"`` of transmission buses."""
    return "T:" + bus_id.astype(str)


def node_key(feeder_id: pd.Series, node_id: pd.Series) -> pd.Series:
    """Grid-node keys ``"F:<feeder_id>:<node_id>"`` of feeder nodes."""
    return "F:" + feeder_id.astype(str) + ":" + node_id.astype(str)


def _id_strings(s: pd.Series) -> pd.Series:
    """Ids as strings; integral numbers lose their ``.0`` so ``5`` and ``5.0`` both read ``"5"``."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        v = s.to_numpy(dtype=float)
        if np.all(np.isfinite(v)) and np.all(v == np.round(v)):
            return pd.Series(v.astype(np.int64), index=s.index).astype(str)
    return s.astype(str)


def _normalise(name: str, df: pd.DataFrame) -> pd.DataFrame:
    schema = FRAME_SCHEMAS[name]
    if not isinstance(df, pd.DataFrame):
        raise ReportError(
            f"report frame {name!r} is a {type(df).__name__}, not a pandas DataFrame",
            where=f"ReportInput.{name}",
            fix="pass a pandas DataFrame (long format, one row per record)",
        )
    nonempty = len(df) > 0
    if schema.nonempty and not nonempty:
        raise ReportError(
            f"report frame {name!r} is empty",
            where=f"ReportInput.{name}",
            fix="give at least one row (one per compared model)",
        )
    if not nonempty:
        out = df.reset_index(drop=True).copy()
        for c in schema.required:
            if c not in out.columns:
                out[c] = pd.Series(dtype=object)
        return out
    missing = [c for c in schema.required if c not in df.columns]
    if missing:
        raise ReportError(
            f"report frame {name!r} lacks required column(s) {', '.join(missing)}",
            where=f"ReportInput.{name} (has: {', '.join(map(str, df.columns)) or 'no columns'})",
            fix=f"give {name} the columns {', '.join(schema.required)}",
        )
    out = df.reset_index(drop=True).copy()
    for c in schema.ids:
        out[c] = _id_strings(out[c])
    for c in (*schema.numeric, *schema.integer):
        values = pd.to_numeric(out[c], errors="coerce")
        bad = values.isna() & out[c].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise ReportError(
                f"report frame {name!r} column {c!r} holds a non-number ({out[c].iloc[row]!r})",
                where=f"ReportInput.{name}, row {row}",
                fix=f"give {c} as numbers",
            )
        if c in schema.integer:
            v = values.to_numpy(dtype=float)
            if np.any(~np.isfinite(v)) or np.any(v != np.round(v)):
                raise ReportError(
                    f"report frame {name!r} column {c!r} must hold whole numbers",
                    where=f"ReportInput.{name}.{c}",
                    fix=f"give {c} as integers (interval index, direction +1/-1)",
                )
            out[c] = v.astype(np.int64)
        else:
            out[c] = values.astype(float)
    for c in ("x", "y", "v_min_pu", "v_max_pu"):
        if c in schema.optional and c in out.columns:
            out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    return out


def _normalise_kpis(kpis: pd.DataFrame) -> pd.DataFrame:
    """Numeric KPI columns as float; text columns (``status`` and unknown text) left as text."""
    out = kpis.copy()
    for c in out.columns:
        if c == "model_id" or c in TEXT_KPIS:
            out[c] = out[c].astype(str) if c in TEXT_KPIS else out[c]
            continue
        values = pd.to_numeric(out[c], errors="coerce")
        if values.notna().sum() == out[c].notna().sum():
            out[c] = values.astype(float)
    return out


def _check_model_ids(name: str, df: pd.DataFrame, known: list[str]) -> None:
    if len(df) == 0 or "model_id" not in df.columns:
        return
    unknown = sorted(set(df["model_id"]) - set(known))
    if unknown:
        raise ReportError(
            f"report frame {name!r} names model id(s) {', '.join(unknown[:5])} not in models",
            where=f"ReportInput.{name}.model_id",
            fix=f"add them to ReportInput.models or drop their rows (known: {', '.join(known)})",
        )


def _grid_nodes_from_edges(edges: pd.DataFrame) -> pd.DataFrame:
    keys = pd.unique(pd.concat([edges["from_id"], edges["to_id"]], ignore_index=True))
    keys_s = pd.Series(keys, dtype=str)
    kind = np.where(keys_s.str.startswith("T:"), "transmission", "feeder")
    return pd.DataFrame({"key": keys_s, "kind": kind, "label": keys_s})


def _check_scalars(ri: ReportInput) -> tuple[float, float]:
    """Study name, provenance, voltage limits and interval length; the limits as floats."""
    if not isinstance(ri.study_name, str) or not ri.study_name.strip():
        raise ReportError(
            "the report needs a study name", where="ReportInput.study_name", fix="give a name"
        )
    if not isinstance(ri.provenance, dict):
        raise ReportError(
            "provenance must be a dict",
            where="ReportInput.provenance",
            fix="give e.g. {'tdcoord': version, 'highs': version, 'input_hash': sha256}",
        )
    lo, hi = (float(v) for v in ri.v_limits_pu)
    if not lo < hi:
        raise ReportError(
            f"voltage limits {ri.v_limits_pu} are not increasing",
            where="ReportInput.v_limits_pu",
            fix="give (v_min_pu, v_max_pu) with v_min_pu < v_max_pu, e.g. (0.95, 1.05)",
        )
    if not ri.interval_minutes > 0:
        raise ReportError(
            f"interval_minutes {ri.interval_minutes} must be positive",
            where="ReportInput.interval_minutes",
            fix="give the interval length in minutes, e.g. 15",
        )
    return lo, hi


def _kpis_in_model_order(models: pd.DataFrame, kpis: pd.DataFrame) -> pd.DataFrame:
    """One KPI row per model, in the order of the models table (the report's order); timing
    KPIs (:data:`~tdcoord.report.glossary.TIMING_KPIS`) are dropped so the report is the same
    bytes on every run."""
    dup = models["model_id"][models["model_id"].duplicated()].tolist()
    if dup:
        raise ReportError(
            f"model id(s) {', '.join(dup)} appear twice in models",
            where="ReportInput.models.model_id",
            fix="give one row per model",
        )
    known = models["model_id"].tolist()
    kpis = _normalise_kpis(kpis)
    dup = kpis["model_id"][kpis["model_id"].duplicated()].tolist()
    if dup:
        raise ReportError(
            f"model id(s) {', '.join(dup)} appear twice in kpis",
            where="ReportInput.kpis.model_id",
            fix="give one KPI row per model",
        )
    no_kpi = [m for m in known if m not in set(kpis["model_id"])]
    if no_kpi:
        raise ReportError(
            f"model(s) {', '.join(no_kpi)} have no KPI row",
            where="ReportInput.kpis",
            fix="give one KPI row per model of ReportInput.models",
        )
    timing = [c for c in kpis.columns if c in TIMING_KPIS]
    return kpis.drop(columns=timing).set_index("model_id").loc[known].reset_index()


def _checked_grid(edges: pd.DataFrame, nodes: pd.DataFrame) -> pd.DataFrame:
    """The grid nodes (derived from the edges when not given), checked against the edges."""
    if len(edges):
        bad_kind = sorted(set(edges["kind"].astype(str)) - set(EDGE_KINDS))
        if bad_kind:
            raise ReportError(
                f"grid_edges kind(s) {', '.join(bad_kind)} are unknown",
                where="ReportInput.grid_edges.kind",
                fix=f"use {', '.join(EDGE_KINDS)}",
            )
        if len(nodes) == 0:
            nodes = _grid_nodes_from_edges(edges)
        keys = set(nodes["key"])
        dangling = sorted((set(edges["from_id"]) | set(edges["to_id"])) - keys)
        if dangling:
            raise ReportError(
                f"grid_edges end at node(s) {', '.join(dangling[:5])} missing in grid_nodes",
                where="ReportInput.grid_edges",
                fix="add those keys to grid_nodes (or leave grid_nodes empty to derive it)",
            )
    if len(nodes) and nodes["key"].duplicated().any():
        dup = nodes["key"][nodes["key"].duplicated()].tolist()
        raise ReportError(
            f"grid node key(s) {', '.join(dup[:5])} appear twice",
            where="ReportInput.grid_nodes.key",
            fix="give one row per node key",
        )
    return nodes


@dataclass(frozen=True, eq=False)
class ReportInput:
    """Everything the comparison report shows, as long-format frames (see :data:`FRAME_SCHEMAS`).

    Required: ``study_name`` (no time stamp: the report is reproducible byte for byte; the
    creation time is in kpis.json's ``_meta`` and the terminal only), ``provenance``
    (tdcoord version, solver versions, input hash, ...), ``models`` (one row per model with its
    qualitative attributes) and ``kpis`` (one row per model id, one column per KPI key of
    :data:`tdcoord.report.glossary.KPI_GLOSSARY`; missing KPIs are left out of the table, unknown
    ones shown as given). Every other frame may be empty: its section then says the data is not
    available. ``interval_minutes`` labels time axes; ``v_limits_pu`` are the voltage limits used
    when ``voltages`` has no ``v_min_pu``/``v_max_pu`` columns; ``map_interval`` fixes the interval
    shown on the price maps (default: the interval with the widest price spread).
    """

    study_name: str
    provenance: dict[str, Any]
    models: pd.DataFrame
    kpis: pd.DataFrame
    cost_by_actor: pd.DataFrame = field(default_factory=pd.DataFrame)
    lmp: pd.DataFrame = field(default_factory=pd.DataFrame)
    dlmp: pd.DataFrame = field(default_factory=pd.DataFrame)
    grid_edges: pd.DataFrame = field(default_factory=pd.DataFrame)
    grid_nodes: pd.DataFrame = field(default_factory=pd.DataFrame)
    interface_flows: pd.DataFrame = field(default_factory=pd.DataFrame)
    voltages: pd.DataFrame = field(default_factory=pd.DataFrame)
    activations: pd.DataFrame = field(default_factory=pd.DataFrame)
    messages: pd.DataFrame = field(default_factory=pd.DataFrame)
    settlement: pd.DataFrame = field(default_factory=pd.DataFrame)
    timeline: pd.DataFrame | None = None
    interval_minutes: float = 15.0
    v_limits_pu: tuple[float, float] = (0.95, 1.05)
    map_interval: int | None = None

    def __post_init__(self) -> None:
        lo, hi = _check_scalars(self)
        frames: dict[str, pd.DataFrame] = {}
        for name in FRAME_SCHEMAS:
            raw = getattr(self, name)
            if name == "timeline" and raw is None:
                raw = pd.DataFrame()
            frames[name] = _normalise(name, raw)
        known = frames["models"]["model_id"].tolist()
        frames["kpis"] = _kpis_in_model_order(frames["models"], frames["kpis"])
        for name, df in frames.items():
            _check_model_ids(name, df, known)
        frames["grid_nodes"] = _checked_grid(frames["grid_edges"], frames["grid_nodes"])
        for name, df in frames.items():
            object.__setattr__(self, name, df)
        object.__setattr__(self, "v_limits_pu", (lo, hi))

    @property
    def model_ids(self) -> list[str]:
        """Model ids in report order (the order of ``models``)."""
        return [str(m) for m in self.models["model_id"]]

    def has(self, name: str) -> bool:
        """Whether input frame ``name`` holds any rows."""
        df = getattr(self, name)
        return df is not None and len(df) > 0
