"""TSO–DSO coordination: clearing cases, the ten canonical schemes, outcomes, validation.

Public entry points: :class:`~tdcoord.coordination.case.ClearingCase`,
:func:`~tdcoord.coordination.baseline.build_case`,
:data:`~tdcoord.coordination.schemes.SCHEMES`, :func:`~tdcoord.coordination.schemes.run_scheme`,
:func:`~tdcoord.coordination.validation.validate_outcome`. See ``docs/coordination.md``.
"""
