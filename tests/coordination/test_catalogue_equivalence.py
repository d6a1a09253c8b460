"""Declared equivalences in the catalogue: ``equivalent_to`` ids exist, are symmetric, carry a
one-line ``equivalence_reason``; ``tdcoord models`` shows them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tdcoord.cli import app
from tdcoord.coordination.catalogue import CatalogueError, list_models, load_catalogue
from tests.coordination.test_catalogue import entry, write

runner = CliRunner()


def test_symmetric_pair_loads(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            entry(id="my.a", equivalent_to=["my.b"], equivalence_reason="same mechanism"),
            entry(id="my.b", equivalent_to=["my.a"], equivalence_reason="same mechanism"),
        ],
    )
    cat = load_catalogue(path, include_builtin=False)
    assert cat.get("my.a").equivalent_to == ("my.b",)
    assert cat.get("my.b").to_dict()["equivalence_reason"] == "same mechanism"


@pytest.mark.parametrize(
    ("entries", "match"),
    [
        ([entry(id="my.a", equivalent_to=["my.zz"], equivalence_reason="r")], "unknown model"),
        (
            [
                entry(id="my.a", equivalent_to=["my.b"], equivalence_reason="r"),
                entry(id="my.b"),
            ],
            "not symmetric",
        ),
        ([entry(id="my.a", equivalent_to=["my.b"])], "one-line equivalence_reason"),
        ([entry(id="my.a", equivalence_reason="r")], "equivalent_to is empty"),
        ([entry(id="my.a", equivalent_to=["my.a"], equivalence_reason="r")], "itself"),
        (
            [entry(id="my.a", equivalent_to=["my.b"], equivalence_reason="two\nlines")],
            "one-line",
        ),
    ],
)
def test_bad_equivalences(tmp_path: Path, entries: list[dict[str, object]], match: str) -> None:
    with pytest.raises(CatalogueError, match=match):
        load_catalogue(write(tmp_path, entries), include_builtin=False)


def test_builtin_equivalences_are_valid_and_shown() -> None:
    models = {m.id: m for m in list_models()}
    for m in models.values():
        for other in m.equivalent_to:
            assert m.id in models[other].equivalent_to
            assert models[other].scheme == m.scheme and models[other].params == m.params
            assert m.equivalence_reason
    data = json.loads(runner.invoke(app, ["models", "--json"]).stdout)
    assert all("equivalent_to" in d and "equivalence_reason" in d for d in data)
    declared = [m for m in models.values() if m.equivalent_to]
    if declared:
        out = runner.invoke(app, ["models"]).output
        assert "equivalent:" in out
