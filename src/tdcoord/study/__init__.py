"""The study file: one schema (:mod:`tdcoord.study.schema`), read and validated by
:func:`load_study` (:mod:`tdcoord.study.load`, cross-field rules in :mod:`tdcoord.study.checks`).
Rules and bounds: ``docs/study.md``."""

from tdcoord.study.load import load_study, validate_study
from tdcoord.study.schema import (
    DEFAULT_STUDY,
    CompareSpec,
    FeederAttachment,
    FleetSpec,
    GridSpec,
    MarketSpec,
    NeedsSpec,
    PenaltySpec,
    Study,
)

__all__ = [
    "DEFAULT_STUDY",
    "CompareSpec",
    "FeederAttachment",
    "FleetSpec",
    "GridSpec",
    "MarketSpec",
    "NeedsSpec",
    "PenaltySpec",
    "Study",
    "load_study",
    "validate_study",
]
