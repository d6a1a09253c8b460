"""Column tables of the grid model, with units in every name.

Per-unit quantities are on the owning network's ``base_mva`` and the nominal voltage of the bus
(``vn_kv``). Ratings of ``inf`` mean "no limit". Ids are the source's own (MATPOWER bus numbers,
pandapower element indices) and stay stable through every transformation.
"""

from __future__ import annotations

import dataclasses

from tdcoord.grid.tables import StrArray, Table
from tdcoord.types import BoolArray, FloatArray, IntArray


@dataclasses.dataclass(frozen=True, eq=False)
class BusTable(Table):
    """Transmission buses. ``gs_mw``/``bs_mvar``: shunt conductance/susceptance at 1 pu voltage."""

    id: IntArray
    vn_kv: FloatArray
    v_min_pu: FloatArray
    v_max_pu: FloatArray
    gs_mw: FloatArray
    bs_mvar: FloatArray
    is_reference: BoolArray


@dataclasses.dataclass(frozen=True, eq=False)
class LoadTable(Table):
    """Loads at transmission buses or feeder nodes; ``profile`` names a time series ('' if none)."""

    id: IntArray
    bus: IntArray
    p_mw: FloatArray
    q_mvar: FloatArray
    profile: StrArray


@dataclasses.dataclass(frozen=True, eq=False)
class BranchTable(Table):
    """AC branches (lines and transformers), π model on the system base.

    ``tap_ratio`` is the off-nominal ratio at the from side (1 for lines), ``shift_deg`` the phase
    shift, ``angmin_deg``/``angmax_deg`` the angle-difference limits (±360 when absent).
    """

    id: IntArray
    name: StrArray
    from_bus: IntArray
    to_bus: IntArray
    r_pu: FloatArray
    x_pu: FloatArray
    b_pu: FloatArray
    rating_mva: FloatArray
    tap_ratio: FloatArray
    shift_deg: FloatArray
    angmin_deg: FloatArray
    angmax_deg: FloatArray
    is_transformer: BoolArray


@dataclasses.dataclass(frozen=True, eq=False)
class GeneratorTable(Table):
    """Dispatchable generators with a polynomial cost c0 + c1·p + c2·p² (p in MW, cost per hour).

    A generator with piecewise-linear costs has its breakpoints in :class:`PwlCostTable` and zero
    polynomial coefficients.
    """

    id: IntArray
    name: StrArray
    bus: IntArray
    p_min_mw: FloatArray
    p_max_mw: FloatArray
    q_min_mvar: FloatArray
    q_max_mvar: FloatArray
    cost_c0_per_h: FloatArray
    cost_c1_per_mwh: FloatArray
    cost_c2_per_mw2h: FloatArray


@dataclasses.dataclass(frozen=True, eq=False)
class PwlCostTable(Table):
    """Piecewise-linear cost breakpoints: (p_mw, cost_per_h) points of generator ``generator``."""

    generator: IntArray
    p_mw: FloatArray
    cost_per_h: FloatArray


@dataclasses.dataclass(frozen=True, eq=False)
class StorageTable(Table):
    """Grid-scale storage at transmission buses."""

    id: IntArray
    bus: IntArray
    e_max_mwh: FloatArray
    p_charge_max_mw: FloatArray
    p_discharge_max_mw: FloatArray
    eta_charge: FloatArray
    eta_discharge: FloatArray
    e_init_mwh: FloatArray


@dataclasses.dataclass(frozen=True, eq=False)
class NodeTable(Table):
    """Feeder nodes, in breadth-first order from the root (row 0 is the root)."""

    id: IntArray
    vn_kv: FloatArray
    v_min_pu: FloatArray
    v_max_pu: FloatArray


@dataclasses.dataclass(frozen=True, eq=False)
class FeederBranchTable(Table):
    """Feeder branches, oriented away from the root: row i feeds node row i + 1."""

    id: IntArray
    name: StrArray
    from_node: IntArray
    to_node: IntArray
    r_pu: FloatArray
    x_pu: FloatArray
    b_pu: FloatArray
    rating_mva: FloatArray
    is_transformer: BoolArray


@dataclasses.dataclass(frozen=True, eq=False)
class SgenTable(Table):
    """Static (non-dispatched) generation at feeder nodes: rooftop PV, wind, CHP of the source."""

    id: IntArray
    bus: IntArray
    p_mw: FloatArray
    q_mvar: FloatArray
    kind: StrArray
    profile: StrArray


@dataclasses.dataclass(frozen=True, eq=False)
class InterfaceTable(Table):
    """T–D interfaces: transmission bus ``transmission_bus`` feeds feeder ``feeder`` through a
    transformer of ``rating_mva``."""

    id: IntArray
    transmission_bus: IntArray
    feeder: StrArray
    rating_mva: FloatArray
