"""``/umei/v1``: the UMEI subset (placeholder until the facade lands)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/umei/v1", tags=["umei"])
