"""Study files (YAML, validated by pydantic): what grid, fleet, day and models a study runs.

Today the grid section is read; the other sections are added by the study pipeline.

.. code-block:: yaml

    name: default
    grid:
      transmission: pglib:case14_ieee        # any SOURCE
      feeders:
        - source: pandapower:create_cigre_network_mv
          buses: all_loads                    # or a list of transmission bus ids
          per_bus: auto                       # or a whole number of copies per bus
          rating_factor: 1.5                  # interface rating = factor · |S_bus| / copies
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tdcoord.errors import StudyError
from tdcoord.grid.model import GridModel

DEFAULT_STUDY = Path(__file__).resolve().parents[2] / "scenarios" / "default.yaml"


class FeederAttachment(BaseModel):
    """Feeders attached below transmission load buses."""

    model_config = ConfigDict(extra="forbid")
    source: str
    buses: Literal["all_loads"] | list[int] = "all_loads"
    per_bus: Literal["auto"] | int = Field(default="auto")
    rating_factor: float = Field(default=1.5, gt=0)


class GridSpec(BaseModel):
    """The grid of a study: a transmission SOURCE and feeder attachments, or one SOURCE."""

    model_config = ConfigDict(extra="forbid")
    transmission: str | None = None
    source: str | None = None
    feeders: list[FeederAttachment] = Field(default_factory=list)

    def build(self) -> GridModel:
        """Load the sources and attach the feeders."""
        from tdcoord.grid.coupling import attach_feeders
        from tdcoord.grid.io.source import load_grid

        if (self.transmission is None) == (self.source is None):
            raise StudyError("grid needs exactly one of 'transmission' or 'source'", where="grid")
        model = load_grid(self.source or self.transmission or "")
        for k, att in enumerate(self.feeders):
            feeder_model = load_grid(att.source)
            if not feeder_model.feeders:
                raise StudyError(
                    f"{att.source} holds no radial feeder",
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


class Study(BaseModel):
    """A study file."""

    model_config = ConfigDict(extra="forbid")
    name: str
    grid: GridSpec


def load_study(path: str | Path | None = None) -> Study:
    """Read and validate a study file (the bundled default when ``path`` is None)."""
    path = Path(path) if path is not None else DEFAULT_STUDY
    if not path.exists():
        raise StudyError(f"no such study file: {path}", fix="check the path")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise StudyError(f"{path} is not valid YAML: {exc}", fix="fix the YAML syntax") from exc
    try:
        return Study.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise StudyError(
            f"{path.name}: {first['msg']}", where=where, fix="see docs/study.md for the format"
        ) from exc
