"""KPIs for comparing coordination models (see ``docs/coordination.md``)."""
