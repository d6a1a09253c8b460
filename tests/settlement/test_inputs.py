"""The settlement parameter object: ``settle(SettlementInputs)`` is ``settle_run`` by keywords."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tdcoord.settlement.errors import SettlementError
from tdcoord.settlement.run import OPTION_NAMES, SettlementInputs, settle, settle_run

from ._frames import act


def _acts() -> pd.DataFrame:
    return act([("d1", "a1", "congestion_dso", 0, "dso:f1", 1, 1.0, 40.0)])


def test_settle_equals_settle_run() -> None:
    metered = np.array([[1.0, 0.0]])
    kw = {"schedule_mw": np.zeros((1, 2)), "imbalance_price_eur_per_mwh": 50.0}
    a = settle_run(
        _acts(), metered, "metered_schedule", "eu_generic", der_ids=["d1"], dt_h=1.0, **kw
    )
    b = settle(
        SettlementInputs(
            activations=_acts(),
            metered_mw=metered,
            baseline_name="metered_schedule",
            preset="eu_generic",
            der_ids=["d1"],
            dt_h=1.0,
            **kw,
        )
    )
    pd.testing.assert_frame_equal(a.statements, b.statements)
    assert a.totals == b.totals


def test_unknown_option_is_named() -> None:
    with pytest.raises(SettlementError, match="unknown settlement option") as err:
        settle_run(
            _acts(),
            np.array([[1.0, 0.0]]),
            "metered_schedule",
            "eu_generic",
            der_ids=["d1"],
            dt_h=1.0,
            schedule=np.zeros((1, 2)),
        )
    assert "schedule_mw" in str(err.value)
    assert OPTION_NAMES[0] == "history_mw"
