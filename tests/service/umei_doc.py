"""The UMEI OpenAPI document (``shared/reference/umei/umei-openapi.json``, found beside the
repository or one of its parents; not copied into it)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

REL = Path("shared") / "reference" / "umei" / "umei-openapi.json"


def umei_document() -> dict[str, Any]:
    """The UMEI document with its server set to the facade's base path."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        path = parent / REL
        if path.is_file():
            doc: dict[str, Any] = json.loads(path.read_text())
            doc["servers"] = [{"url": "http://testserver/umei/v1"}]
            return doc
    if os.environ.get("CI"):
        pytest.fail(f"the UMEI document ({REL}) is missing beside the repository")
    pytest.skip(f"the UMEI document ({REL}) is not beside the repository")


def checks() -> list[Any]:
    """The conformance checks: no server error, documented status, content type and schema."""
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

    return [not_a_server_error, status_code_conformance, content_type_conformance,
            response_schema_conformance]
