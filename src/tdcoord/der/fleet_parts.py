"""Pieces shared by the fleet builders (:mod:`tdcoord.der.fleet_penetration`,
:mod:`tdcoord.der.fleet_simbench`): DER ids, the feeders a study selects, and the assembly of
per-type models into one :class:`~tdcoord.der.fleet.Fleet`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tdcoord.der.errors import DerError
from tdcoord.der.fleet import Fleet, assign_aggregators
from tdcoord.types import IntArray

if TYPE_CHECKING:
    from tdcoord.grid.model import GridModel
    from tdcoord.study.schema import FleetSpec


def der_ids(prefix: str, n: int) -> tuple[str, ...]:
    """``prefix_000000`` … (zero-padded to at least 6 digits)."""
    if n == 0:
        return ()
    nums = np.char.zfill(np.arange(n).astype(str), max(6, len(str(n))))
    return tuple(np.char.add(f"{prefix}_", nums).tolist())


def feeder_indices(grid: GridModel, spec: FleetSpec) -> list[int]:
    """Indices of the feeders ``spec.feeders`` selects (all, or checked indices)."""
    if spec.feeders == "all":
        return list(range(len(grid.feeders)))
    bad = [i for i in spec.feeders if not 0 <= i < len(grid.feeders)]
    if bad:
        raise DerError(
            f"feeder index {bad[0]} out of range ({len(grid.feeders)} feeders)",
            where="fleet.feeders",
            fix="use 'all' or indices into the grid's feeders",
        )
    return list(spec.feeders)


class FleetParts:
    """Per-type models with the feeder, node and embedded flag of each DER, in adding order."""

    def __init__(self) -> None:
        self.models: dict[str, Any] = {}
        self.feeder: list[IntArray] = []
        self.node: list[IntArray] = []
        self.embedded: list[Any] = []

    def add(self, der_type: str, model: Any, feeder: IntArray, node: IntArray, emb: Any) -> None:
        """Add the model of one DER type and its DERs' feeder, node and embedded flags."""
        self.models[der_type] = model
        self.feeder.append(feeder)
        self.node.append(node)
        self.embedded.append(emb)

    def assemble(self, n_aggregators: int, rng: np.random.Generator, name: str = "fleet") -> Fleet:
        """Order the parts like :data:`~tdcoord.der.fleet.TYPE_ORDER` and build the fleet."""
        return assemble_fleet(
            self.models, self.feeder, self.node, self.embedded, n_aggregators, rng, name
        )


def assemble_fleet(
    models: dict[str, Any],
    feeder_parts: Sequence[IntArray],
    node_parts: Sequence[IntArray],
    emb_parts: Sequence[Any],
    n_aggregators: int,
    rng: np.random.Generator,
    name: str = "fleet",
) -> Fleet:
    """Order the per-type parts like :data:`~tdcoord.der.fleet.TYPE_ORDER` and build the fleet."""
    from tdcoord.der.fleet import TYPE_ORDER

    order = sorted(range(len(models)), key=lambda i: TYPE_ORDER.index(list(models)[i]))
    keys = list(models)

    def cat(parts: Sequence[Any], dtype: Any) -> Any:
        if not parts:
            return np.zeros(0, dtype=dtype)
        return np.concatenate([parts[i] for i in order]).astype(dtype)

    feeder = cat(feeder_parts, np.int64)
    node = cat(node_parts, np.int64)
    emb = cat(emb_parts, bool)
    agg = assign_aggregators(feeder.size, n_aggregators, rng)
    return Fleet({keys[i]: models[keys[i]] for i in order}, feeder, node, agg, emb, name)
