"""The grid model: a transmission network, radial distribution feeders and T–D interfaces.

All data are column tables of read-only numpy arrays (:mod:`tdcoord.grid.components`); every
object is validated on construction and immutable afterwards. Conventions:

* Transmission per-unit values are on ``Transmission.base_mva`` (MATPOWER convention).
* A feeder's per-unit values are on ``Feeder.base_mva`` and each node's ``vn_kv``
  (z_base = vn_kv² / base_mva). Nodes are stored breadth-first from the root, and branch row ``i``
  feeds node row ``i + 1`` — the canonical radial form that LinDistFlow and the sweeps use.
* Loads are consumption (positive ``p_mw`` draws power); static generation (``sgens``) injects.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np

from tdcoord.errors import GridError
from tdcoord.grid import checks
from tdcoord.grid.components import (
    BranchTable,
    BusTable,
    FeederBranchTable,
    GeneratorTable,
    InterfaceTable,
    LoadTable,
    NodeTable,
    PwlCostTable,
    SgenTable,
    StorageTable,
)
from tdcoord.grid.profiles import Profiles
from tdcoord.types import FloatArray, IntArray


@dataclasses.dataclass(frozen=True, eq=False)
class Transmission:
    """A meshed transmission network (MATPOWER-like data, stable source ids)."""

    name: str
    base_mva: float
    buses: BusTable
    branches: BranchTable
    generators: GeneratorTable
    loads: LoadTable
    pwl_costs: PwlCostTable = dataclasses.field(default_factory=PwlCostTable.empty)
    storage: StorageTable = dataclasses.field(default_factory=StorageTable.empty)

    def __post_init__(self) -> None:
        _check_transmission(self)

    # -- index helpers -------------------------------------------------------------------------
    @cached_property
    def bus_index(self) -> dict[int, int]:
        """Bus id → row position."""
        return {int(b): i for i, b in enumerate(self.buses.id)}

    def bus_rows(self, ids: IntArray) -> IntArray:
        """Row positions of bus ids (vectorised)."""
        order = np.argsort(self.buses.id, kind="stable")
        pos = np.searchsorted(self.buses.id, ids, sorter=order)
        return order[pos].astype(np.int64)

    @property
    def n_bus(self) -> int:
        """Number of buses."""
        return len(self.buses)

    def bus_load_mw(self) -> FloatArray:
        """Active load per bus row (load elements only; shunt conductance gs_mw is separate), MW."""
        p = np.zeros(self.n_bus)
        np.add.at(p, self.bus_rows(self.loads.bus), self.loads.p_mw)
        return p

    def equals(self, other: object) -> bool:
        """Exact equality of every table and scalar."""
        return _dataclass_equals(self, other)


@dataclasses.dataclass(frozen=True, eq=False)
class Feeder:
    """A radial distribution feeder in canonical breadth-first form (see module docstring)."""

    id: str
    base_mva: float
    nodes: NodeTable
    branches: FeederBranchTable
    loads: LoadTable
    sgens: SgenTable
    v_root_pu: float = 1.0
    substation_rating_mva: float = float("inf")

    def __post_init__(self) -> None:
        _check_feeder(self)

    @property
    def root(self) -> int:
        """Id of the root node (the substation secondary / interface bus)."""
        return int(self.nodes.id[0])

    @property
    def n_node(self) -> int:
        """Number of nodes, root included."""
        return len(self.nodes)

    @cached_property
    def parent(self) -> IntArray:
        """Row of each node's parent (−1 for the root)."""
        rows = self.node_rows(self.branches.from_node)
        out = np.full(self.n_node, -1, dtype=np.int64)
        out[1:] = rows
        out.flags.writeable = False
        return out

    def node_rows(self, ids: IntArray) -> IntArray:
        """Row positions of node ids (vectorised)."""
        order = np.argsort(self.nodes.id, kind="stable")
        pos = np.searchsorted(self.nodes.id, ids, sorter=order)
        return order[np.clip(pos, 0, len(order) - 1)].astype(np.int64)

    @cached_property
    def z_base_ohm(self) -> FloatArray:
        """Impedance base per node row, Ω: vn_kv² / base_mva."""
        return np.asarray(self.nodes.vn_kv**2 / self.base_mva, dtype=np.float64)

    def node_load_mw(self) -> FloatArray:
        """Active load per node row, MW."""
        p = np.zeros(self.n_node)
        np.add.at(p, self.node_rows(self.loads.bus), self.loads.p_mw)
        return p

    def node_load_mvar(self) -> FloatArray:
        """Reactive load per node row, Mvar."""
        q = np.zeros(self.n_node)
        np.add.at(q, self.node_rows(self.loads.bus), self.loads.q_mvar)
        return q

    def node_sgen_mw(self) -> FloatArray:
        """Static generation per node row, MW."""
        p = np.zeros(self.n_node)
        np.add.at(p, self.node_rows(self.sgens.bus), self.sgens.p_mw)
        return p

    def node_sgen_mvar(self) -> FloatArray:
        """Static reactive generation per node row, Mvar."""
        q = np.zeros(self.n_node)
        np.add.at(q, self.node_rows(self.sgens.bus), self.sgens.q_mvar)
        return q

    def scaled(self, factor: float, new_id: str | None = None) -> Feeder:
        """A copy with every load and static generation scaled by ``factor`` (topology shared)."""
        return dataclasses.replace(
            self,
            id=new_id if new_id is not None else self.id,
            loads=self.loads.replace(
                p_mw=self.loads.p_mw * factor, q_mvar=self.loads.q_mvar * factor
            ),
            sgens=self.sgens.replace(
                p_mw=self.sgens.p_mw * factor, q_mvar=self.sgens.q_mvar * factor
            ),
        )

    def equals(self, other: object) -> bool:
        """Exact equality of every table and scalar."""
        return _dataclass_equals(self, other)


def _radial_rows(
    where: str, root: int, nodes: NodeTable, branches: FeederBranchTable
) -> tuple[IntArray, IntArray, int]:
    """Rows of each branch's end nodes and of the root, after checking ids, references,
    connectivity and radiality (n − 1 branches)."""
    checks.check_unique(nodes.id, f"{where} node")
    checks.check_unique(branches.id, f"{where} branch")
    if root not in set(nodes.id.tolist()):
        raise GridError(
            f"root node {root} is not a node of the feeder",
            where=where,
            fix="give the id of the substation (slack) node as root",
        )
    checks.check_references(branches.from_node, nodes.id, f"{where} branch", "from_node")
    checks.check_references(branches.to_node, nodes.id, f"{where} branch", "to_node")
    n = len(nodes)
    order = np.argsort(nodes.id, kind="stable")
    sorted_ids = nodes.id[order]
    a = order[np.searchsorted(sorted_ids, branches.from_node)]
    b = order[np.searchsorted(sorted_ids, branches.to_node)]
    count, labels = checks.components(n, a, b)
    root_row = int(order[np.searchsorted(sorted_ids, root)])
    if count > 1:
        island = nodes.id[labels != labels[root_row]][:5].tolist()
        raise GridError(
            f"feeder is not connected: {count} islands; nodes {island} cannot be reached from "
            f"root {root}",
            where=where,
            fix="connect or remove the isolated nodes (or close the switch that connects them)",
        )
    if len(branches) != n - 1:
        raise GridError(
            f"feeder is not radial: {len(branches)} branches for {n} nodes (a radial feeder has "
            f"{n - 1}); it contains {len(branches) - n + 1} loop(s)",
            where=where,
            fix="open a tie switch in every loop (set the branch out of service) or load the "
            "network as transmission",
        )
    return a, b, root_row


def _breadth_first(
    n: int, a: IntArray, b: IntArray, root_row: int, node_ids: IntArray
) -> tuple[Any, Any, Any]:
    """Node order (breadth-first, ties by id), parent row of every node, and the branch feeding
    each non-root node in that order."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import breadth_first_order

    adjacency = coo_matrix((np.ones(n - 1), (a, b)), shape=(n, n)).tocsr()
    bfs, predecessors = breadth_first_order(adjacency, root_row, directed=False)
    depth = np.zeros(n, dtype=np.int64)
    for row in bfs[1:]:  # n steps over nodes, once per feeder build (not a hot path)
        depth[row] = depth[predecessors[row]] + 1
    node_order = np.lexsort((node_ids, depth))
    child_rows = node_order[1:]
    # The branch feeding each child: the one joining child and its parent.
    key_branch = np.minimum(a, b) * n + np.maximum(a, b)
    key_child = np.minimum(child_rows, predecessors[child_rows]) * n + np.maximum(
        child_rows, predecessors[child_rows]
    )
    branch_sort = np.argsort(key_branch, kind="stable")
    branch_of_child = branch_sort[np.searchsorted(key_branch, key_child, sorter=branch_sort)]
    return node_order, predecessors, branch_of_child


def make_feeder(  # noqa: PLR0913 - keyword-only, one argument per Feeder field
    feeder_id: str,
    *,
    base_mva: float,
    root: int,
    nodes: NodeTable,
    branches: FeederBranchTable,
    loads: LoadTable | None = None,
    sgens: SgenTable | None = None,
    v_root_pu: float = 1.0,
    substation_rating_mva: float = float("inf"),
) -> Feeder:
    """Build a :class:`Feeder` from unordered nodes and branches in any orientation.

    Checks radiality (n − 1 branches, connected, one root), orients every branch away from
    ``root`` and sorts nodes breadth-first (ties by id, so the result is deterministic).
    """
    a, b, root_row = _radial_rows(f"feeder {feeder_id!r}", root, nodes, branches)
    node_order, parent_row, branch_of_child = _breadth_first(len(nodes), a, b, root_row, nodes.id)
    child_rows = node_order[1:]
    oriented = branches.take(branch_of_child).replace(
        from_node=nodes.id[parent_row[child_rows]], to_node=nodes.id[child_rows]
    )
    return Feeder(
        id=feeder_id,
        base_mva=base_mva,
        nodes=nodes.take(node_order),
        branches=oriented,
        loads=loads if loads is not None else LoadTable.empty(),
        sgens=sgens if sgens is not None else SgenTable.empty(),
        v_root_pu=v_root_pu,
        substation_rating_mva=substation_rating_mva,
    )


@dataclasses.dataclass(frozen=True, eq=False)
class GridModel:
    """A coupled T+D system: optional transmission, feeders and the interfaces joining them."""

    name: str
    transmission: Transmission | None
    feeders: tuple[Feeder, ...]
    interfaces: InterfaceTable = dataclasses.field(default_factory=InterfaceTable.empty)
    profiles: Profiles | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "feeders", tuple(self.feeders))
        _check_grid(self)

    @cached_property
    def feeder_by_id(self) -> dict[str, Feeder]:
        """Feeder id → feeder."""
        return {f.id: f for f in self.feeders}

    @property
    def kind(self) -> str:
        """'coupled', 'transmission' or 'distribution'."""
        if self.transmission is not None and self.feeders:
            return "coupled"
        return "transmission" if self.transmission is not None else "distribution"

    def equals(self, other: object) -> bool:
        """Exact equality of every table, feeder and scalar."""
        if not isinstance(other, GridModel) or self.name != other.name:
            return False
        if (self.transmission is None) != (other.transmission is None):
            return False
        if self.transmission is not None and not self.transmission.equals(other.transmission):
            return False
        if len(self.feeders) != len(other.feeders):
            return False
        if not all(a.equals(b) for a, b in zip(self.feeders, other.feeders, strict=True)):
            return False
        if (self.profiles is None) != (other.profiles is None):
            return False
        if self.profiles is not None and not self.profiles.equals(other.profiles):
            return False
        return self.interfaces.equals(other.interfaces)

    def fingerprint(self) -> str:
        """SHA-256 of the model's canonical JSON form (provenance of results)."""
        from tdcoord.grid.serialize import to_json_text

        return hashlib.sha256(to_json_text(self).encode()).hexdigest()


# -- validation ------------------------------------------------------------------------------------


def _dataclass_equals(a: object, b: object) -> bool:
    if type(a) is not type(b):
        return False
    for field in dataclasses.fields(a):  # type: ignore[arg-type]
        va, vb = getattr(a, field.name), getattr(b, field.name)
        if hasattr(va, "equals"):
            if not va.equals(vb):
                return False
        elif isinstance(va, float) and isinstance(vb, float):
            if not (va == vb or (np.isnan(va) and np.isnan(vb))):
                return False
        elif va != vb:
            return False
    return True


def _transmission_field_issues(t: Transmission, c: checks.Collector) -> None:
    """Ids, references, values and limits of every table (all problems kept in ``c``)."""
    bus, br, gen, st = t.buses, t.branches, t.generators, t.storage
    for ids, what in (
        (bus.id, "bus"),
        (br.id, "branch"),
        (gen.id, "generator"),
        (t.loads.id, "load"),
    ):
        c(checks.check_unique, ids, what)
    c(checks.check_positive, bus.vn_kv, bus.id, "bus", "vn_kv")
    c(checks.check_voltage_limits, bus.v_min_pu, bus.v_max_pu, bus.id, "bus")
    for col in ("from_bus", "to_bus"):
        c(checks.check_references, br.column(col), bus.id, "branch", col)
    c(checks.check_references, gen.bus, bus.id, "generator", "bus")
    c(checks.check_references, t.loads.bus, bus.id, "load", "bus")
    c(checks.check_references, st.bus, bus.id, "storage", "bus")
    c(checks.check_impedance, br.r_pu, br.x_pu, br.id, "branch", allow_negative_r=True)
    c(checks.check_positive, br.rating_mva, br.id, "branch", "rating_mva")
    c(checks.check_positive, br.tap_ratio, br.id, "branch", "tap_ratio")
    self_loop = br.from_bus == br.to_bus
    c(
        checks.fail_if,
        self_loop,
        "branch connects a bus to itself",
        f"branch ids {br.id[self_loop][:5].tolist()}",
        "correct from_bus/to_bus",
    )
    c(checks.check_finite, gen.p_min_mw, gen.id, "generator", "p_min_mw")
    c(checks.check_finite, gen.p_max_mw, gen.id, "generator", "p_max_mw")
    upside = gen.p_min_mw > gen.p_max_mw
    c(
        checks.fail_if,
        upside,
        "generator p_min_mw > p_max_mw",
        f"generator ids {gen.id[upside][:5].tolist()}",
        "swap the limits",
    )
    for col in ("cost_c0_per_h", "cost_c1_per_mwh", "cost_c2_per_mw2h"):
        c(checks.check_all_finite, gen.column(col), gen.id, "generator", col)
    c(checks.check_all_finite, t.pwl_costs.p_mw, t.pwl_costs.generator, "pwl cost", "p_mw")
    c(checks.check_all_finite, t.pwl_costs.cost_per_h, t.pwl_costs.generator, "pwl cost", "cost")
    c(checks.check_plausible_transmission_power, t.loads.p_mw, t.loads.id, "load")
    c(checks.check_references, t.pwl_costs.generator, gen.id, "pwl cost", "generator")
    for col in ("e_max_mwh", "p_charge_max_mw", "p_discharge_max_mw"):
        c(checks.check_non_negative, st.column(col), st.id, "storage", col)
    for col in ("eta_charge", "eta_discharge"):
        eta = st.column(col)
        c(
            checks.fail_if,
            (eta <= 0) | (eta > 1) | np.isnan(eta),
            f"storage {col} must be in (0, 1]",
            "storage",
            "use e.g. 0.95",
        )


def _check_transmission(t: Transmission) -> None:
    where = f"transmission {t.name!r}"
    if not (np.isfinite(t.base_mva) and t.base_mva > 0):
        raise GridError(
            f"base_mva must be positive, got {t.base_mva}", where=where, fix="use e.g. 100"
        )
    collector = checks.Collector()
    _transmission_field_issues(t, collector)
    collector.raise_all("")  # every table problem at once, before the topology is looked at
    bus, br = t.buses, t.branches
    if not bus.is_reference.any():
        raise GridError(
            "no reference (slack) bus",
            where=where,
            fix="mark one bus as reference (MATPOWER bus type 3, pandapower ext_grid)",
        )
    count, labels = checks.components(t.n_bus, t.bus_rows(br.from_bus), t.bus_rows(br.to_bus))
    if count > 1:
        with_ref = np.unique(labels[bus.is_reference])
        orphan = ~np.isin(labels, with_ref)
        if orphan.any():
            raise GridError(
                f"transmission network has {count} islands; buses {bus.id[orphan][:5].tolist()} "
                "are in an island without a reference bus",
                where=where,
                fix="connect the island, remove its buses, or mark one of its buses as reference",
            )


def _check_feeder(f: Feeder) -> None:
    where = f"feeder {f.id!r}"
    nodes, br = f.nodes, f.branches
    if len(nodes) == 0:
        raise GridError("feeder has no nodes", where=where, fix="add at least the root node")
    if not (np.isfinite(f.base_mva) and f.base_mva > 0):
        raise GridError(
            f"base_mva must be positive, got {f.base_mva}", where=where, fix="use e.g. 1"
        )
    checks.check_unique(nodes.id, f"{where} node")
    checks.check_unique(br.id, f"{where} branch")
    checks.check_positive(nodes.vn_kv, nodes.id, f"{where} node", "vn_kv")
    checks.check_voltage_limits(nodes.v_min_pu, nodes.v_max_pu, nodes.id, f"{where} node")
    checks.check_impedance(br.r_pu, br.x_pu, br.id, f"{where} branch")
    checks.check_positive(br.rating_mva, br.id, f"{where} branch", "rating_mva")
    if len(br) != len(nodes) - 1 or not np.array_equal(br.to_node, nodes.id[1:]):
        raise GridError(
            "feeder is not in canonical radial form (branch i must feed node i + 1)",
            where=where,
            fix="build feeders with tdcoord.grid.model.make_feeder, which orients and orders them",
        )
    checks.check_references(br.from_node, nodes.id, f"{where} branch", "from_node")
    parent = f.node_rows(br.from_node)
    if (parent >= np.arange(1, len(nodes))).any():
        raise GridError(
            "feeder branches are not ordered root-first",
            where=where,
            fix="build feeders with tdcoord.grid.model.make_feeder",
        )
    checks.check_references(f.loads.bus, nodes.id, f"{where} load", "node")
    checks.check_references(f.sgens.bus, nodes.id, f"{where} sgen", "node")
    vn = nodes.vn_kv
    if len(f.loads):
        checks.check_plausible_power(
            f.loads.p_mw, vn[f.node_rows(f.loads.bus)], f.loads.id, f"{where} load"
        )
    if len(f.sgens):
        checks.check_plausible_power(
            f.sgens.p_mw, vn[f.node_rows(f.sgens.bus)], f.sgens.id, f"{where} sgen"
        )
    if not (f.substation_rating_mva > 0):
        raise GridError(
            "substation_rating_mva must be > 0 (inf for no limit)", where=where, fix="set a rating"
        )


def _check_grid(g: GridModel) -> None:
    if g.transmission is None and not g.feeders:
        raise GridError(
            "the grid is empty", where=g.name, fix="give a transmission network or feeders"
        )
    ids = [f.id for f in g.feeders]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})[:5]
        raise GridError(
            f"duplicate feeder ids {dup}", where=g.name, fix="give each feeder its own id"
        )
    itf = g.interfaces
    if len(itf) == 0:
        return
    if g.transmission is None:
        raise GridError(
            "interfaces given without a transmission network", where=g.name, fix="add transmission"
        )
    checks.check_unique(itf.id, "interface")
    checks.check_references(
        itf.transmission_bus, g.transmission.buses.id, "interface", "transmission_bus"
    )
    unknown = sorted(set(itf.feeder.tolist()) - set(ids))
    if unknown:
        raise GridError(
            f"interface refers to unknown feeders {unknown[:5]}",
            where="interfaces",
            fix="attach feeders that exist in the model",
        )
    fed = itf.feeder.tolist()
    if len(set(fed)) != len(fed):
        raise GridError(
            "a feeder is attached below two interfaces",
            where="interfaces",
            fix="a radial feeder has exactly one supply point; attach it once",
        )
    checks.check_positive(itf.rating_mva, itf.id, "interface", "rating_mva")


def feeders_without_interface(model: GridModel) -> Sequence[str]:
    """Ids of feeders not attached to the transmission network (standalone feeders)."""
    attached = set(model.interfaces.feeder.tolist())
    return [f.id for f in model.feeders if f.id not in attached]
