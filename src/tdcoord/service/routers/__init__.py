"""HTTP routers of the platform API (``/api/v1``), one resource family per module."""
