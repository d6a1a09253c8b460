"""Parameter types shared by the routers: database ids are 0 … 2**62 (beyond, a 422 before any
query: SQLite and PostgreSQL integers are 64-bit)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import Field

MAX_ID = 2**62
PathId = Annotated[int, Path(ge=0, le=MAX_ID)]
BodyId = Annotated[int, Field(ge=0, le=MAX_ID)]
