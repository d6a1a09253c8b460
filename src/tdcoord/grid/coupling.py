"""Build coupled T+D systems from standard cases: feeders attached below transmission load buses.

Each chosen transmission load bus hands its load to ``feeders_per_bus`` feeder copies. Every copy
is scaled by  k = P_bus / (n · P_feeder)  so that the feeders' peak (their total nominal load)
replaces the bus load exactly; the bus's own loads are removed. The interface transformer is
rated at ``rating_factor · |S_bus| / n``. Copies share topology arrays (immutable), so 1,000
feeders of ~100 nodes build in about a second.

``feeders_per_bus="auto"`` takes n = max(1, ⌈P_bus / P_t − 10⁻⁹⌉) copies (exactly as
:func:`copy_counts` computes it), P_t the load of the template the bus's first copy uses. With one
template (or templates of equal load) every copy then carries at most its template's own load
(k ≤ 1), so the template's line ratings and voltages stay meaningful; with templates of different
loads a later copy on a smaller template can be scaled above 1. Any copy, ``auto`` or explicit n,
scaled above :data:`OVERSCALE_WARNING` × its template warns (docs/grid.md, "Coupling").
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from tdcoord.errors import GridError
from tdcoord.grid.components import InterfaceTable
from tdcoord.grid.model import Feeder, GridModel, Transmission
from tdcoord.types import FloatArray

#: Load scale of a feeder copy above which :func:`attach_feeders` warns (overloads likely).
OVERSCALE_WARNING = 1.25


def load_buses(transmission: Transmission) -> list[int]:
    """Transmission buses with positive active load, in id order."""
    p = transmission.bus_load_mw()
    return [int(b) for b in np.sort(transmission.buses.id[p > 0])]


def copy_counts(
    p_bus_mw: Sequence[float], template_load_mw: Sequence[float], feeders_per_bus: int | str
) -> list[int]:
    """Copies per chosen bus. ``"auto"``: n = max(1, ⌈P_bus / P_t − 10⁻⁹⌉) where P_t is the load
    of the template the bus's *first* copy uses (templates go round-robin over copies, not
    buses: copy number k overall uses template k mod len(templates)); the 10⁻⁹ keeps an exact
    multiple from getting one copy more. A whole number: that many copies at every bus."""
    counts: list[int] = []
    k = 0
    for p in p_bus_mw:
        if feeders_per_bus == "auto":
            n = max(1, math.ceil(p / template_load_mw[k % len(template_load_mw)] - 1e-9))
        else:
            n = int(feeders_per_bus)
        counts.append(n)
        k += n
    return counts


def _check_request(
    t: Transmission, templates: list[Feeder], buses: Sequence[int] | None, feeders_per_bus: Any
) -> list[int]:
    """The chosen bus ids, or :class:`GridError` naming the bad argument."""
    if not templates:
        raise GridError("no feeder templates given", fix="give at least one feeder")
    if feeders_per_bus != "auto" and not (
        isinstance(feeders_per_bus, int) and feeders_per_bus >= 1
    ):
        raise GridError(
            f"feeders_per_bus must be a whole number >= 1 or 'auto', got {feeders_per_bus!r}",
            fix="use 1 or more, or 'auto' (as many copies as keep each copy near its own size)",
        )
    chosen = load_buses(t) if buses is None else [int(b) for b in buses]
    known = set(t.buses.id.tolist())
    unknown = [b for b in chosen if b not in known]
    if unknown:
        raise GridError(f"unknown transmission buses {unknown[:5]}", fix="use bus ids of the case")
    if len(set(chosen)) != len(chosen):
        raise GridError("a bus is listed twice", fix="list each bus once (use feeders_per_bus)")
    for f in templates:
        if not float(f.node_load_mw().sum()) > 0:
            raise GridError(
                f"feeder template {f.id!r} has no load to scale", fix="use a loaded feeder"
            )
    return chosen


def _bus_power(t: Transmission, chosen: list[int]) -> tuple[FloatArray, FloatArray]:
    """P and Q of the chosen buses (their loads summed); buses without load are an error."""
    rows = t.bus_rows(np.asarray(chosen, dtype=np.int64))
    p_bus = np.zeros(t.n_bus)
    q_bus = np.zeros(t.n_bus)
    load_rows = t.bus_rows(t.loads.bus)
    np.add.at(p_bus, load_rows, t.loads.p_mw)
    np.add.at(q_bus, load_rows, t.loads.q_mvar)
    no_load = [b for b, r in zip(chosen, rows, strict=True) if not p_bus[r] > 0]
    if no_load:
        raise GridError(
            f"buses {no_load[:5]} carry no positive load to hand to a feeder",
            fix="choose load buses (tdcoord.grid.coupling.load_buses lists them)",
        )
    return p_bus[rows], q_bus[rows]


def _warn_overscaled(overscaled: list[tuple[int, float]]) -> None:
    if overscaled:
        bus, worst = max(overscaled, key=lambda item: item[1])
        warnings.warn(
            f"{len(overscaled)} feeder copies carry more than {OVERSCALE_WARNING}× their "
            f"template's load (worst {worst:.2f}× below bus {bus}) with the template's ratings: "
            "expect overloads and low voltages (feeders_per_bus='auto' keeps each copy within "
            "its own size)",
            stacklevel=3,
        )


def _copies(
    templates: list[Feeder],
    chosen: list[int],
    power: tuple[FloatArray, FloatArray],
    counts: list[int],
    rating_factor: float,
) -> tuple[list[Feeder], list[int], list[float]]:
    """The scaled feeder copies with their interface bus and rating (see module doc)."""
    template_load = [float(f.node_load_mw().sum()) for f in templates]
    new_feeders: list[Feeder] = []
    overscaled: list[tuple[int, float]] = []
    itf_bus: list[int] = []
    itf_rating: list[float] = []
    k = 0
    for bus, p, q, n_copies in zip(chosen, *power, counts, strict=True):  # object building only
        s_bus = float(np.hypot(p, q))
        for copy in range(n_copies):
            template = templates[k % len(templates)]
            factor = p / (n_copies * template_load[k % len(templates)])
            if factor > OVERSCALE_WARNING:
                overscaled.append((bus, factor))
            fid = f"{template.id}@{bus}" + (f"#{copy}" if n_copies > 1 else "")
            rating = rating_factor * s_bus / n_copies
            new_feeders.append(
                dataclasses.replace(template.scaled(factor, fid), substation_rating_mva=rating)
            )
            itf_bus.append(bus)
            itf_rating.append(rating)
            k += 1
    _warn_overscaled(overscaled)
    return new_feeders, itf_bus, itf_rating


def attach_feeders(
    transmission: Transmission | GridModel,
    feeders: Feeder | Sequence[Feeder],
    buses: Sequence[int] | None = None,
    *,
    feeders_per_bus: int | str = 1,
    rating_factor: float = 1.5,
    name: str | None = None,
) -> GridModel:
    """Attach feeders below transmission load buses (all load buses when ``buses`` is None).

    ``feeders`` is one template or a list used round-robin over the copies. Raises
    :class:`GridError` for unknown buses, buses without load, or templates without load, and
    :class:`~tdcoord.errors.LimitError` when the coupled grid would hold more than
    ``max_feeders`` feeders (:mod:`tdcoord.limits`), before any copy is built.
    """
    from tdcoord.limits import check_limit

    t = transmission.transmission if isinstance(transmission, GridModel) else transmission
    if t is None:
        raise GridError("attach_feeders needs a transmission network", fix="load a meshed case")
    templates = [feeders] if isinstance(feeders, Feeder) else list(feeders)
    chosen = _check_request(t, templates, buses, feeders_per_bus)
    power = _bus_power(t, chosen)
    template_load = [float(f.node_load_mw().sum()) for f in templates]
    counts = copy_counts(power[0].tolist(), template_load, feeders_per_bus)
    base = transmission if isinstance(transmission, GridModel) else None
    old_feeders = base.feeders if base is not None else ()
    check_limit("max_feeders", len(old_feeders) + sum(counts), "feeders of the coupled grid")
    new_feeders, itf_bus, itf_rating = _copies(templates, chosen, power, counts, rating_factor)
    keep_load = ~np.isin(t.loads.bus, np.asarray(chosen, dtype=np.int64))
    t_new = dataclasses.replace(t, loads=t.loads.take(keep_load))
    old_itf = base.interfaces if base is not None else InterfaceTable.empty()
    start = int(old_itf.id.max()) + 1 if len(old_itf) else 0
    interfaces = InterfaceTable(
        id=np.concatenate([old_itf.id, start + np.arange(len(new_feeders))]),
        transmission_bus=np.concatenate([old_itf.transmission_bus, itf_bus]),
        feeder=np.concatenate([old_itf.feeder, [f.id for f in new_feeders]]),
        rating_mva=np.concatenate([old_itf.rating_mva, itf_rating]),
    )
    return GridModel(
        name=name or f"{t.name}+{templates[0].id}",
        transmission=t_new,
        feeders=tuple(old_feeders) + tuple(new_feeders),
        interfaces=interfaces,
        profiles=base.profiles if base is not None else None,
    )
