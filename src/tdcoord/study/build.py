"""Build the grid of a study's ``grid:`` section (sources loaded, feeders attached)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tdcoord.errors import StudyError

if TYPE_CHECKING:
    from tdcoord.grid.model import GridModel
    from tdcoord.study.schema import GridSpec


def build_grid(spec: GridSpec) -> GridModel:
    """Load the sources and attach the feeders of ``spec``."""
    from tdcoord.grid.coupling import attach_feeders
    from tdcoord.grid.io.source import load_grid

    model = load_grid(spec.source or spec.transmission or "")
    for k, att in enumerate(spec.feeders):
        feeder_model = load_grid(att.source)
        if not feeder_model.feeders:
            from tdcoord.grid.io.classify import why_not_feeder

            raise StudyError(
                f"{att.source} holds no radial feeder: {why_not_feeder(feeder_model)}",
                where=f"grid.feeders[{k}]",
                fix="use a radial distribution source such as pandapower:case33bw",
            )
        model = attach_feeders(
            model,
            list(feeder_model.feeders),
            None if att.buses == "all_loads" else att.buses,
            feeders_per_bus=att.per_bus,
            rating_factor=att.rating_factor,
            name=model.name,
        )
    return model
