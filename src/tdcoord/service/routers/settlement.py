"""Meter readings and settlement (placeholder until settlement lands)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["settlement"])
