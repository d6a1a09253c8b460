"""Alembic migrations of the platform's store (shipped in the wheel, applied on start)."""
