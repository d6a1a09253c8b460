"""The ``compare:`` section of a study file lives in the one study schema,
:mod:`tdcoord.study.schema`; these names are re-exported for existing imports."""

from tdcoord.study.schema import DEFAULT_MODELS, CompareSpec, NeedsSpec, PenaltySpec

__all__ = ["DEFAULT_MODELS", "CompareSpec", "NeedsSpec", "PenaltySpec"]
