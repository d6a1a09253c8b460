"""Shared fixtures: grids loaded once per session (loading pandapower/SimBench is slow)."""

from __future__ import annotations

import warnings

import pytest

from tdcoord.grid.io.source import load_grid
from tdcoord.grid.model import GridModel

warnings.filterwarnings("ignore", message=".*numba.*")


@pytest.fixture(scope="session")
def case33bw() -> GridModel:
    return load_grid("pandapower:case33bw")


@pytest.fixture(scope="session")
def cigre_mv() -> GridModel:
    return load_grid("pandapower:create_cigre_network_mv")


@pytest.fixture(scope="session")
def case5() -> GridModel:
    return load_grid("pandapower:case5")
