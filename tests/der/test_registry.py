"""Registry lifecycle, audit trail and aggregator portfolios."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tdcoord.der.errors import RegistryError
from tdcoord.der.prequalification import PrequalificationResult, TrafficLight
from tdcoord.der.registry import DerRegistry, Status

T0 = datetime(2025, 1, 1, 12, tzinfo=UTC)


def _reg() -> DerRegistry:
    reg = DerRegistry(clock=lambda: T0)
    reg.register("pv1", kind="pv", connecting_so="dso_a", impacted_sos=["tso"], by="dso_a")
    return reg


def _ok(der: str = "pv1", product: str = "mfrr") -> PrequalificationResult:
    return PrequalificationResult(der, product, TrafficLight.GREEN)


def test_full_lifecycle_is_recorded_with_who_when_why() -> None:
    reg = _reg()
    reg.prequalify("pv1", _ok(), procuring_sos=["tso"], by="tso")
    reg.activate("pv1", "mfrr", by="aggr1", reason="start")
    reg.suspend("pv1", "mfrr", by="tso", reason="failed activation test")
    reg.activate("pv1", "mfrr", by="tso", reason="retest passed")
    reg.withdraw("pv1", by="owner", reason="sold")
    steps = [(t.from_status, t.to_status) for t in reg.history("pv1")]
    assert steps == [
        (None, Status.REGISTERED),
        (Status.REGISTERED, Status.PREQUALIFIED),
        (Status.PREQUALIFIED, Status.ACTIVE),
        (Status.ACTIVE, Status.SUSPENDED),
        (Status.SUSPENDED, Status.ACTIVE),
        (Status.ACTIVE, Status.WITHDRAWN),
    ]
    assert all(t.at.tzinfo is UTC for t in reg.history())
    assert reg.history("pv1")[3].reason == "failed activation test"
    assert reg.history("pv1")[3].by == "tso"


@pytest.mark.parametrize(
    "action",
    [
        lambda r: r.activate("pv1", "mfrr", by="x"),  # registered -> active skips prequalification
        lambda r: r.suspend("pv1", "mfrr", by="x", reason="r"),
    ],
)
def test_illegal_transitions_are_rejected(action: object) -> None:
    reg = _reg()
    with pytest.raises(RegistryError, match="illegal transition"):
        action(reg)  # type: ignore[operator]
    assert reg.status("pv1", "mfrr") is Status.REGISTERED


def test_withdrawn_is_final() -> None:
    reg = _reg()
    reg.withdraw("pv1", "mfrr", by="owner")
    with pytest.raises(RegistryError, match="final state"):
        reg.prequalify("pv1", _ok(), procuring_sos=["tso"], by="tso")


def test_red_prequalification_cannot_prequalify() -> None:
    reg = _reg()
    red = PrequalificationResult("pv1", "mfrr", TrafficLight.RED, ("too small",))
    with pytest.raises(RegistryError, match="too small"):
        reg.prequalify("pv1", red, procuring_sos=["tso"], by="tso")


def test_naive_timestamp_is_rejected_and_offsets_become_utc() -> None:
    reg = _reg()
    with pytest.raises(RegistryError, match="no time zone"):
        reg.prequalify("pv1", _ok(), procuring_sos=["tso"], by="tso", at=datetime(2025, 1, 1))
    cet = timezone(timedelta(hours=1))
    tr = reg.prequalify(
        "pv1", _ok(), procuring_sos=["tso"], by="tso", at=datetime(2025, 1, 1, 13, tzinfo=cet)
    )
    assert tr.at == T0 and tr.at.tzinfo is UTC


def test_one_aggregator_per_der_and_product() -> None:
    reg = _reg()
    reg.register("bat1", kind="battery", connecting_so="dso_a", by="dso_a")
    reg.assign_aggregator("pv1", "mfrr", "aggr1", by="aggr1")
    reg.assign_aggregator("pv1", "congestion_dso", "aggr2", by="aggr2")  # other product: fine
    reg.assign_aggregator("bat1", "mfrr", "aggr1", by="aggr1")
    with pytest.raises(RegistryError, match="already with aggregator 'aggr1'"):
        reg.assign_aggregator("pv1", "mfrr", "aggr2", by="aggr2")
    assert reg.portfolio("aggr1", "mfrr") == ["bat1", "pv1"]
    reg.release_aggregator("pv1", "mfrr", by="aggr1")
    reg.assign_aggregator("pv1", "mfrr", "aggr2", by="aggr2")
    assert reg.portfolio("aggr2") == ["pv1"]


def test_system_operator_roles_are_kept() -> None:
    reg = _reg()
    reg.prequalify("pv1", _ok(), procuring_sos=["tso", "dso_a"], by="tso")
    rec = reg.record("pv1")
    assert rec.connecting_so == "dso_a"
    assert rec.impacted_sos == ("tso",)
    assert rec.procuring_sos["mfrr"] == ("tso", "dso_a")


def test_unknown_and_duplicate_ders() -> None:
    reg = _reg()
    with pytest.raises(RegistryError, match="unknown DER"):
        reg.activate("nope", "mfrr", by="x")
    with pytest.raises(RegistryError, match="already registered"):
        reg.register("pv1", kind="pv", connecting_so="dso_a", by="x")
