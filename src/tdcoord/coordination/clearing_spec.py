"""What one clearing LP contains (:class:`ClearingSpec`) and the security margins of its
linearised feeder model (:class:`Margins`); the program itself is
:func:`tdcoord.coordination.clearing.build`."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from tdcoord.coordination.injectors import Injectors, Prior
from tdcoord.coordination.margins import Margins
from tdcoord.market.products import Buyer
from tdcoord.types import BoolArray, FloatArray


@dataclasses.dataclass(frozen=True, eq=False)
class ClearingSpec:
    """What one clearing LP contains: its constraint families
    (:mod:`tdcoord.coordination.clearing`)."""

    injectors: Injectors
    need_mw: FloatArray | None = None
    lines: bool = False
    redispatch: bool = False
    feeders: tuple[int, ...] = ()
    feeder_masks: Mapping[int, tuple[BoolArray, BoolArray]] = dataclasses.field(
        default_factory=dict
    )
    interface_bounds: Mapping[int, tuple[FloatArray, FloatArray]] = dataclasses.field(
        default_factory=dict
    )
    feeder_targets: Mapping[int, FloatArray] = dataclasses.field(default_factory=dict)
    lumped_needs: Mapping[int, FloatArray] = dataclasses.field(default_factory=dict)
    node_bounds: Mapping[int, tuple[FloatArray, FloatArray]] = dataclasses.field(
        default_factory=dict
    )
    prior: Prior | None = None
    #: ``None``: the case's own margins (:attr:`~tdcoord.coordination.case.ClearingCase.margins`).
    margins: Margins | None = None
    #: Network rows on per-location injection columns (``z = Σ_k d_k a_k`` per bus or feeder
    #: node, one equality row each) instead of on every offer column: same LP, far fewer
    #: non-zeros (see "Location columns" in the module docstring).
    aggregate_locations: bool = True
    #: Who buys in this clearing (``"TSO"``, ``"DSO"``): it sees only the offers of products
    #: one of them may buy (:func:`tdcoord.coordination.views.for_buyers`; the others get a
    #: zero cap). ``None``: a check, not a purchase (feasibility filters, DSO validation).
    buyers: tuple[Buyer, ...] | None = None
    #: Carry the case's time coupling (energy rows, minimum duration;
    #: :mod:`tdcoord.coordination.intertemporal`) when it has one: the clearing sees the DER
    #: state. ``False``: the intervals clear independently (a party that does not see it).
    time_coupling: bool = True
