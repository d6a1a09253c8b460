"""Every bad input of the corpus ends in a named error through the real CLI: exit code 2, no
traceback, no "internal error", and a message naming the problem (``tests/fuzz/corpus.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tdcoord.cli import app
from tests.fuzz import corpus
from tests.fuzz.grid_text import case_text

DATA = Path(__file__).parent / "data"
runner = CliRunner()


def check(args: list[str], expected: str) -> None:
    """Run the CLI in-process and check the named-error contract."""
    result = runner.invoke(app, args)
    text = result.output
    assert result.exit_code == 2, f"{args}: exit {result.exit_code}\n{text}"
    assert "Traceback" not in text and "internal error" not in text, text
    assert expected.lower() in text.lower(), f"{args}: {expected!r} not in\n{text}"


STUDIES = [(f"{s}.yaml", e) for s, _, _, e in corpus.STUDY_CASES] + [
    (n, e) for n, _, e in corpus.STUDY_RAW
]


@pytest.mark.parametrize(("name", "expected"), STUDIES, ids=[s for s, _ in STUDIES])
def test_bad_study(name: str, expected: str, tmp_path: Path) -> None:
    check(["compare", str(DATA / "study" / name), "--out", str(tmp_path / "out")], expected)
    assert not (tmp_path / "out").exists()


GRIDS = (
    [("matpower", n, e) for n, _, _, e in corpus.MATPOWER_CASES]
    + [("pandapower", n, e) for n, _, e in corpus.PANDAPOWER_CASES]
    + [("native", n, e) for n, _, e in corpus.NATIVE_CASES]
)


@pytest.mark.parametrize(("folder", "name", "expected"), GRIDS, ids=[g[1] for g in GRIDS])
def test_bad_grid_file(folder: str, name: str, expected: str) -> None:
    check(["grid", "info", str(DATA / folder / name)], expected)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("cost_nan.m", "finite"),
        ("cost_inf.m", "finite"),
        ("rating_nan.m", "nan"),
        ("pmax_nan.m", "nan"),
    ],
)
def test_bad_grid_never_solved(name: str, expected: str) -> None:
    """A NaN cost is an error, never an "optimal" result with a null objective."""
    check(["opf", "dc", str(DATA / "matpower" / name)], expected)


@pytest.mark.parametrize(
    ("name", "expected"),
    [(n, e) for n, _, e in corpus.CATALOGUE_CASES],
    ids=[n for n, _, _ in corpus.CATALOGUE_CASES],
)
def test_bad_catalogue(name: str, expected: str) -> None:
    check(["models", "--catalogue", str(DATA / "catalogue" / name)], expected)


@pytest.mark.parametrize(
    ("args", "expected"), corpus.CLI_CASES, ids=[" ".join(a) for a, _ in corpus.CLI_CASES]
)
def test_bad_flags(args: list[str], expected: str, tmp_path: Path) -> None:
    tiny = tmp_path / "tiny3.m"
    tiny.write_text(case_text())
    (tmp_path / "x.m").mkdir()
    (tmp_path / "grid.txt").write_text("x")
    check([a.format(tmp=tmp_path, tiny=tiny) for a in args], expected)
    assert not (tmp_path / "o").exists() and not (tmp_path / "d").exists()


def test_corpus_size() -> None:
    """The corpus holds at least 150 bad inputs (docs/cli.md records the count)."""
    n = len(STUDIES) + len(GRIDS) + len(corpus.CATALOGUE_CASES) + len(corpus.CLI_CASES)
    assert n >= 150, n
