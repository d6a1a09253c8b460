"""A fleet: every DER of a study, by type (the vectorised models) plus per-DER location arrays.

A :class:`Fleet` holds one vectorised model object per DER type (:data:`tdcoord.der.DER_TYPES`,
e.g. one :class:`~tdcoord.der.pv.Pv` for all PV systems) and, per DER in **fleet order** (the
types in :data:`TYPE_ORDER`, each type's units in their model's order), the arrays

* ``der_id``, ``der_type`` (strings), ``aggregator_id`` (string, ``""`` = none);
* ``feeder`` — index into ``GridModel.feeders`` (−1: transmission-connected, then ``node`` is the
  transmission bus row); ``node`` — node row in that feeder (``>= 1``);
* ``p_max_mw`` — the DER's rated flexible power (PV/wind: inverter rating; battery:
  ``max(p_charge_max, p_discharge_max)``; EV: charger; heat pump: electric rating; flexible load:
  ``shift_max_mw``; CHP: ``p_max_mw``), the size used by prequalification and minimum sizes;
* ``embedded_in_load`` — the DER's baseline is already part of the grid's own loads/sgens
  (flexible loads carved out of customer demand, SimBench sgens and loads): the grid operating
  point must not add it twice; its *deviations* still change the injection.

Per-node sums use one sparse selection matrix per feeder (``S[j, i] = 1`` when DER ``i`` sits at
node row ``j``), so ``S @ p`` gives the injection per node for all intervals at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from tdcoord.arrays import frozen
from tdcoord.der.base import DerModel, Flexibility, check_dt, check_n
from tdcoord.der.errors import DerError
from tdcoord.types import BoolArray, FloatArray, IntArray

StrArray = npt.NDArray[np.object_]

#: Fleet order of the types (same as :data:`tdcoord.der.DER_TYPES`).
TYPE_ORDER: tuple[str, ...] = ("pv", "wind", "battery", "ev", "flexible_load", "heat_pump", "chp")

#: Types with an inverter model (reactive capability ``q_max_mvar``).
INVERTER_TYPES: frozenset[str] = frozenset({"pv", "wind", "battery"})


def rated_p_mw(der_type: str, model: Any) -> FloatArray:
    """The rated flexible power of every unit of a model (see module doc)."""
    if der_type in ("pv", "wind"):
        return np.asarray(model.s_inverter_mva, dtype=np.float64)
    if der_type == "battery":
        return np.asarray(np.maximum(model.p_charge_max_mw, model.p_discharge_max_mw))
    if der_type == "ev":
        return np.asarray(model.p_charger_max_mw, dtype=np.float64)
    if der_type == "flexible_load":
        return np.asarray(model.shift_max_mw, dtype=np.float64)
    if der_type == "heat_pump":
        return np.asarray(model.p_el_max_mw, dtype=np.float64)
    if der_type == "chp":
        return np.asarray(model.p_max_mw, dtype=np.float64)
    raise DerError(f"unknown DER type {der_type!r}", fix=f"use one of {', '.join(TYPE_ORDER)}")


@dataclass(frozen=True, eq=False)
class Fleet:
    """DER models by type and per-DER arrays in fleet order (see module doc)."""

    models: Mapping[str, Any]
    feeder: IntArray
    node: IntArray
    aggregator_id: StrArray
    embedded_in_load: BoolArray
    name: str = "fleet"
    der_id: StrArray = field(init=False)
    der_type: StrArray = field(init=False)
    p_max_mw: FloatArray = field(init=False)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.models) - set(TYPE_ORDER))
        if unknown:
            raise DerError(
                f"unknown DER type {unknown[0]!r}",
                where=f"fleet {self.name!r}",
                fix=f"use one of {', '.join(TYPE_ORDER)}",
            )
        ordered = {t: self.models[t] for t in TYPE_ORDER if t in self.models}
        object.__setattr__(self, "models", ordered)
        ids = [i for m in ordered.values() for i in m.ids]
        n = len(ids)
        der_id = np.asarray(ids, dtype=object)
        if len(set(ids)) != n:
            _, first, counts = np.unique(der_id.astype(str), return_index=True, return_counts=True)
            dup = ids[int(first[np.flatnonzero(counts > 1)[0]])]
            raise DerError(
                f"DER id {dup!r} appears twice", where=f"fleet {self.name!r}", fix="unique ids"
            )
        types = np.repeat(
            np.asarray(list(ordered), dtype=object), [m.n_units for m in ordered.values()]
        )
        p_max = np.concatenate([rated_p_mw(t, m) for t, m in ordered.items()]) if n else np.zeros(0)
        feeder = np.asarray(self.feeder, dtype=np.int64).ravel().copy()
        node = np.asarray(self.node, dtype=np.int64).ravel().copy()
        agg = np.asarray(self.aggregator_id, dtype=object).ravel().copy()
        emb = np.asarray(self.embedded_in_load, dtype=bool).ravel().copy()
        for what, arr in (("feeder", feeder), ("node", node), ("aggregator_id", agg)):
            if arr.shape != (n,):
                raise DerError(
                    f"{what} has {arr.size} entries for {n} DERs",
                    where=f"fleet {self.name!r}",
                    fix="give one entry per DER in fleet order",
                )
        if emb.shape != (n,):
            raise DerError(
                f"embedded_in_load has {emb.size} entries for {n} DERs",
                where=f"fleet {self.name!r}",
                fix="give one flag per DER",
            )
        bad = (feeder < -1) | (node < 0) | ((feeder >= 0) & (node < 1))
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise DerError(
                f"bad location feeder={feeder[k]} node={node[k]}",
                where=f"DER {ids[k]!r}",
                fix="feeder index with node row >= 1 (row 0 is the supply point), or feeder -1 "
                "with a transmission bus row",
            )
        s = object.__setattr__
        s(self, "feeder", frozen(feeder))
        s(self, "node", frozen(node))
        s(self, "aggregator_id", frozen(agg))
        s(self, "embedded_in_load", frozen(emb))
        s(self, "der_id", frozen(der_id))
        s(self, "der_type", frozen(types))
        s(self, "p_max_mw", frozen(np.asarray(p_max, dtype=np.float64)))

    # ------------------------------------------------------------------ basic queries
    @property
    def n_der(self) -> int:
        return int(self.der_id.size)

    def __len__(self) -> int:
        return self.n_der

    @property
    def reactive_capable(self) -> BoolArray:
        """DERs with an inverter model (PV, wind, battery)."""
        return np.isin(self.der_type, list(INVERTER_TYPES))

    def type_slices(self) -> dict[str, slice]:
        """Fleet-order slice of each type present."""
        out: dict[str, slice] = {}
        start = 0
        for t, m in self.models.items():
            out[t] = slice(start, start + m.n_units)
            start += m.n_units
        return out

    def index_of(self, der_ids: npt.ArrayLike) -> IntArray:
        """Fleet rows of DER ids (−1 for ids not in the fleet), vectorised."""
        ids = np.asarray(der_ids, dtype=object).astype(str).ravel()
        if self.n_der == 0:
            return np.full(ids.size, -1, dtype=np.int64)
        keys = self.der_id.astype(str)
        order = np.argsort(keys, kind="stable")
        pos = np.clip(np.searchsorted(keys, ids, sorter=order), 0, self.n_der - 1)
        rows = order[pos]
        return np.where(keys[rows] == ids, rows, -1).astype(np.int64)

    # ------------------------------------------------------------------ physics, fleet order
    def baseline_p_mw(self, n_intervals: int, dt_h: float) -> FloatArray:
        """Baseline net injection ``(n_der, T)`` (sign of :mod:`tdcoord.der.base`)."""
        n, dt = check_n(n_intervals), check_dt(dt_h)
        if not self.models:
            return np.zeros((0, n))
        return np.vstack([m.baseline_p_mw(n, dt) for m in self.models.values()])

    def flexibility(self, n_intervals: int, dt_h: float) -> Flexibility:
        """Up, down and reactive capability ``(n_der, T)``; ``q_max_mvar`` is 0 for types
        without an inverter model."""
        n, dt = check_n(n_intervals), check_dt(dt_h)
        ups: list[FloatArray] = []
        downs: list[FloatArray] = []
        qs: list[FloatArray] = []
        for m in self.models.values():
            f = m.flexibility(n, dt)
            ups.append(f.up_mw)
            downs.append(f.down_mw)
            qs.append(np.zeros_like(f.up_mw) if f.q_max_mvar is None else f.q_max_mvar)
        if not ups:
            z = np.zeros((0, n))
            return Flexibility(z, z.copy(), z.copy())
        return Flexibility(np.vstack(ups), np.vstack(downs), np.vstack(qs))

    def apply(self, activation_p_mw: npt.ArrayLike, dt_h: float) -> Fleet:
        """The fleet one interval later after the signed activation ``(n_der,)`` (MW)."""
        a = np.asarray(activation_p_mw, dtype=np.float64)
        if a.shape != (self.n_der,):
            raise DerError(
                f"activation has shape {a.shape}, expected ({self.n_der},)",
                where=f"fleet {self.name!r}",
                fix="one signed deviation per DER in fleet order",
            )
        sl = self.type_slices()
        models: dict[str, DerModel] = {t: m.apply(a[sl[t]], dt_h) for t, m in self.models.items()}
        return Fleet(
            models, self.feeder, self.node, self.aggregator_id, self.embedded_in_load, self.name
        )

    # ------------------------------------------------------------------ grid mapping
    def node_matrix(self, feeder_index: int, n_node: int, mask: BoolArray | None = None) -> Any:
        """Sparse ``(n_node, n_der)`` selection of the DERs of one feeder (optionally masked)."""
        sel = self.feeder == feeder_index
        if mask is not None:
            sel = sel & np.asarray(mask, dtype=bool)
        cols = np.flatnonzero(sel)
        rows = self.node[cols]
        if rows.size and rows.max() >= n_node:
            k = int(cols[np.argmax(rows)])
            raise DerError(
                f"node row {int(self.node[k])} is outside the feeder ({n_node} nodes)",
                where=f"DER {self.der_id[k]!r}",
                fix="build the fleet on the same grid",
            )
        return sp.csr_matrix(
            (np.ones(cols.size), (rows, cols)), shape=(n_node, self.n_der), dtype=np.float64
        )

    def net_injection_by_node(
        self,
        feeder_index: int,
        n_node: int,
        p_mw: npt.ArrayLike | None = None,
        *,
        n_intervals: int = 96,
        dt_h: float = 0.25,
        include_embedded: bool = True,
    ) -> FloatArray:
        """Sum of DER injections per node row of one feeder, ``(n_node, T)`` (MW, + injects).

        ``p_mw`` (``(n_der, T)``) defaults to the baseline; ``include_embedded=False`` leaves
        out DERs whose baseline is already in the grid's loads/sgens.
        """
        p = (
            self.baseline_p_mw(n_intervals, dt_h)
            if p_mw is None
            else np.asarray(p_mw, dtype=np.float64)
        )
        if p.ndim != 2 or p.shape[0] != self.n_der:
            raise DerError(
                f"p_mw has shape {p.shape}, expected ({self.n_der}, T)",
                where=f"fleet {self.name!r}",
                fix="one row per DER in fleet order",
            )
        mask = None if include_embedded else ~self.embedded_in_load
        return np.asarray(self.node_matrix(feeder_index, n_node, mask) @ p, dtype=np.float64)

    # ------------------------------------------------------------------ summary
    def summary(self, feeder_ids: tuple[str, ...] | None = None) -> dict[str, Any]:
        """Counts and rated MW by type, feeder and aggregator (JSON-able; keys in docs/der.md)."""

        def group(keys: npt.NDArray[Any]) -> dict[str, dict[str, float | int]]:
            uniq, inv = np.unique(keys.astype(str), return_inverse=True)
            counts = np.bincount(inv, minlength=uniq.size)
            mw = np.bincount(inv, weights=self.p_max_mw, minlength=uniq.size)
            return {
                str(u): {"count": int(c), "p_max_mw": float(m)}
                for u, c, m in zip(uniq, counts, mw, strict=True)
            }

        if feeder_ids is not None:
            names = np.asarray([*feeder_ids, "transmission"], dtype=object)
            feeder_keys = names[np.where(self.feeder >= 0, self.feeder, len(feeder_ids))]
        else:
            feeder_keys = self.feeder.astype(str).astype(object)
        return {
            "name": self.name,
            "n_der": self.n_der,
            "p_max_mw": float(self.p_max_mw.sum()),
            "by_type": group(self.der_type),
            "by_feeder": group(feeder_keys),
            "by_aggregator": group(self.aggregator_id),
        }


def assign_aggregators(n_der: int, n_aggregators: int, rng: np.random.Generator) -> StrArray:
    """Aggregator of each DER: ``aggregator_<k>`` with ``k`` uniform on ``0..N−1`` from the
    fleet's seeded generator (equal market shares in expectation; deterministic for a seed).
    ``N = 0`` leaves every DER without an aggregator (``""``)."""
    if n_aggregators < 0:
        raise DerError("n_aggregators < 0", fix="give 0 or more aggregators")
    if n_aggregators == 0:
        return np.full(n_der, "", dtype=object)
    names = np.asarray([f"aggregator_{k}" for k in range(n_aggregators)], dtype=object)
    return np.asarray(names[rng.integers(0, n_aggregators, size=n_der)], dtype=object)
