"""The live platform (``tdcoord serve``): parties register DERs, bid before gate closure and get
dispatch, prices, envelopes and settlements from the same clearing as ``tdcoord compare``.

Needs the ``service`` extra (FastAPI, SQLAlchemy 2, Alembic, ...); nothing here is imported by
the study's code paths. See ``docs/platform.md``.
"""
