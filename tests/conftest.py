"""Shared fixtures: grids loaded once per session (loading pandapower/SimBench is slow)."""

from __future__ import annotations

import os
import warnings

import pytest
from hypothesis import settings

from tdcoord.grid.io.source import load_grid
from tdcoord.grid.model import GridModel

warnings.filterwarnings("ignore", message=".*numba.*")

# The same examples on every run (CI must not depend on the draw); set HYPOTHESIS_PROFILE=explore
# to search new examples locally.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def case33bw() -> GridModel:
    return load_grid("pandapower:case33bw")


@pytest.fixture(scope="session")
def cigre_mv() -> GridModel:
    return load_grid("pandapower:create_cigre_network_mv")


@pytest.fixture(scope="session")
def case5() -> GridModel:
    return load_grid("pandapower:case5")
